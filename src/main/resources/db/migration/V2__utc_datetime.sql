-- alipay-notify schema migration V2: our own clock's columns become DATETIME(3) holding UTC.
-- TIMESTAMP ends on 2038-01-19 03:14:07 UTC on MySQL (and MariaDB before 11.5), and it is converted to and from the
-- session's time zone on every read and write. DATETIME(3) is stored as written; every writer puts UTC in it:
-- the column defaults below, and the webapp's own UPDATE (updated_at = UTC_TIMESTAMP(3); ON UPDATE CURRENT_TIMESTAMP
-- would write the session's local time, so it is dropped). Set updated_at the same way in your own updates.
-- Alipay's times (gmt_*, notify_time) are not ours and stay as they are (DATETIME, China time as sent).
-- Each ALTER rebuilds its table (a copy); on a large alipay_notify that takes a while and blocks writes to it.
-- Run in order after V1, e.g.  mariadb -h HOST -u ADMIN alipay_notify < V2__utc_datetime.sql
-- Expression defaults need MySQL 8.0.13+ or MariaDB 10.2+.

-- The conversion TIMESTAMP -> DATETIME writes each instant in the session's time zone: make that UTC, whatever the
-- server's or this session's zone was, so the instants are kept exactly.
SET time_zone = '+00:00';

ALTER TABLE alipay_order
    MODIFY created_at DATETIME(3) NOT NULL DEFAULT (UTC_TIMESTAMP(3)),
    MODIFY updated_at DATETIME(3) NOT NULL DEFAULT (UTC_TIMESTAMP(3));

ALTER TABLE alipay_notify
    MODIFY received_at DATETIME(3) NOT NULL DEFAULT (UTC_TIMESTAMP(3));

ALTER TABLE alipay_notify_refused
    MODIFY received_at DATETIME(3) NOT NULL DEFAULT (UTC_TIMESTAMP(3));

-- Recorded last: a run that stops before this line leaves no record. Running the file again is harmless.
INSERT INTO alipay_notify_schema_history (version, description, script, status, started_at, finished_at, applied_by)
VALUES (2, 'utc datetime', 'V2__utc_datetime.sql', 'success', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), CURRENT_USER())
ON DUPLICATE KEY UPDATE status = 'success', finished_at = UTC_TIMESTAMP(3);
