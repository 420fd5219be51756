-- checkpoint: write the write-ahead log into the database file (before copying the file).
CHECKPOINT
