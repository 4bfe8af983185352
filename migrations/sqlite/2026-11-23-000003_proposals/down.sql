DROP TABLE counters;
DROP TABLE proposal_attachments;
DROP TABLE proposals;
