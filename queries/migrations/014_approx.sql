-- Schema version 14: a figure written as an approximation (「50余」「约50」「34万余元」) is stored as its
-- number with this mark; every face shows it (「50余次」) and a total that includes it is marked too.
ALTER TABLE facts ADD COLUMN approx BOOLEAN DEFAULT FALSE;
