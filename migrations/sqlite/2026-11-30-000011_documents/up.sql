-- Issued documents of a project (立项通知书, 项目协议书, 结项证明): what each version says is
-- fixed when it is issued (source_json, the laid-out document); the PDF is rendered from it
-- once, on the first download, and kept with its SHA-256. A re-issued document is a new
-- version; earlier versions are kept. Keep in step with the other backend.
CREATE TABLE documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id BIGINT NOT NULL REFERENCES projects(id),
    kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    filename TEXT NOT NULL,
    source_json TEXT NOT NULL,
    issued_at TIMESTAMP NOT NULL,
    content BLOB,
    sha256 TEXT,
    size_bytes BIGINT,
    rendered_at TIMESTAMP
);
CREATE UNIQUE INDEX documents_version_idx ON documents (project_id, kind, version);
