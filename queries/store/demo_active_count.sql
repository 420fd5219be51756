-- demo_active_count: how many active submissions are demo data (the app says so while any are).
SELECT count(*) FROM submissions WHERE is_demo AND status = 'active'
