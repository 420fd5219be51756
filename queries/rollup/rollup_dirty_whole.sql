-- rollup_dirty_whole: the quarters marked stale whole (rebuilt rather than refreshed).
SELECT quarter FROM rollup_dirty
