-- Schema version 1: the tree, the catalog, submissions and their facts.
CREATE TABLE units (
    code         VARCHAR PRIMARY KEY,
    name_zh      VARCHAR NOT NULL,
    name_en      VARCHAR NOT NULL,
    level        VARCHAR NOT NULL,
    parent_code  VARCHAR,
    active_from  VARCHAR,
    active_to    VARCHAR,
    sort_order   INTEGER NOT NULL
);
CREATE TABLE indicators (
    code          VARCHAR PRIMARY KEY,
    domain        VARCHAR NOT NULL,
    name_zh       VARCHAR NOT NULL,
    name_en       VARCHAR NOT NULL,
    unit_zh       VARCHAR NOT NULL,
    unit_en       VARCHAR NOT NULL,
    value_type    VARCHAR NOT NULL,
    time_agg      VARCHAR NOT NULL,
    unit_agg      VARCHAR NOT NULL,
    formula_op    VARCHAR,
    formula_args  VARCHAR[],
    threshold     DOUBLE,
    levels        VARCHAR NOT NULL,
    sort_order    INTEGER NOT NULL
);
CREATE SEQUENCE submission_ids START 1;
CREATE TABLE submissions (
    id                INTEGER PRIMARY KEY DEFAULT nextval('submission_ids'),
    unit_code         VARCHAR NOT NULL,   -- the reporting unit
    quarter           VARCHAR NOT NULL,
    submitted_by      VARCHAR NOT NULL,
    submitted_at      TIMESTAMP NOT NULL,
    file_name         VARCHAR,
    sha256            VARCHAR,
    template_version  VARCHAR,
    status            VARCHAR NOT NULL    -- active | superseded
);
CREATE TABLE facts (
    submission_id   INTEGER NOT NULL,
    unit_code       VARCHAR NOT NULL,
    quarter         VARCHAR NOT NULL,
    indicator_code  VARCHAR NOT NULL,
    value           DOUBLE NOT NULL
);
