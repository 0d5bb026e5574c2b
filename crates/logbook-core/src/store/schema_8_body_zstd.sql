-- Bodies are kept zstd-compressed from now on (`stored_body.rs`): when `body_zstd` is set, `body`
-- holds the zstd frame of a body of that many bytes; when it is NULL (every row written before,
-- and a body compressing would not shrink), `body` holds the bytes as they came. Rows already
-- stored are left as they are.
ALTER TABLE events ADD COLUMN body_zstd INTEGER;
