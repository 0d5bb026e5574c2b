-- Migration 2: refused requests are bounded by class and by bytes, not only by count.
-- Adding columns with a constant default rewrites no row; the update touches only the kept
-- rejections (a thousand by default). `stored_bytes` is 0 for rows from before this migration: the
-- store caps and measures them when it opens.

-- 'jwt' when the request carried a token that decoded as a JWT (jwt_header set), else 'other'.
ALTER TABLE rejections ADD COLUMN class TEXT NOT NULL DEFAULT 'other';
-- An upper bound of the bytes the row takes in the database (whole pages).
ALTER TABLE rejections ADD COLUMN stored_bytes INTEGER NOT NULL DEFAULT 0;
UPDATE rejections SET class = 'jwt' WHERE jwt_header IS NOT NULL;
-- The oldest of a class, found when that class is over its count or bytes.
CREATE INDEX rejections_class ON rejections (class, id);
