-- bulk_count: how many submissions the bulk load wrote.
SELECT count(*) FROM bulk_ids
