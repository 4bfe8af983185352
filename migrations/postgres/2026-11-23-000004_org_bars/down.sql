DROP TABLE org_bars;
