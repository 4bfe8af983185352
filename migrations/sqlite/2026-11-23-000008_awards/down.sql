DROP TABLE tranches;
DROP TABLE projects;
DROP TABLE objections;
DROP TABLE awards;
DROP TABLE notices;
DROP TABLE category_budgets;
DROP TABLE decision_entries;
