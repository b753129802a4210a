-- 0020: who has read which notice. A notice is addressed to a user, an organisation or an
-- enterprise; an organisation's notice reaches every one of its users who may read its
-- record, so "read" is a fact about one user and one notice, not about the notice
-- (notices.read_at, never written, stays for the webhook's payload history). The 消息
-- page marks a notice read (POST /notices/{id}/read) or all of them (POST /notices/read);
-- the unread count of GET /me/todo is the unread list's length.
CREATE TABLE notice_reads (
    user_id   BIGINT NOT NULL REFERENCES users(id),
    notice_id BIGINT NOT NULL REFERENCES notices(id),
    read_at   BIGINT NOT NULL,
    PRIMARY KEY (user_id, notice_id)
);
