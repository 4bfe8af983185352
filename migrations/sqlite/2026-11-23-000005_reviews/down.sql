DROP TABLE reviews;
DROP TABLE reviewer_profiles;
