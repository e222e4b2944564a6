CREATE TABLE facilities (
	id VARCHAR(64) NOT NULL,
	party VARCHAR(3) NOT NULL,
	name TEXT NOT NULL,
	contractor TEXT,
	seal BYTEA,
	PRIMARY KEY (id)
);

CREATE TABLE frame_states (
	role VARCHAR(8) NOT NULL,
	stream VARCHAR(80) NOT NULL,
	item_id VARCHAR(32),
	epoch BIGINT NOT NULL,
	value BIGINT NOT NULL,
	PRIMARY KEY (role, stream)
);

CREATE TABLE inbox (
	sender VARCHAR(3) NOT NULL,
	id VARCHAR(64) NOT NULL,
	kind VARCHAR(32) NOT NULL,
	received_at TIMESTAMP WITH TIME ZONE NOT NULL,
	reply BYTEA NOT NULL,
	PRIMARY KEY (sender, id)
);

CREATE TABLE item_keys (
	item_id VARCHAR(32) NOT NULL,
	key_id BYTEA NOT NULL,
	record BYTEA,
	PRIMARY KEY (item_id)
);

CREATE INDEX ix_item_keys_key ON item_keys (key_id);

CREATE TABLE items (
	id VARCHAR(32) NOT NULL,
	agreement_id VARCHAR(64) NOT NULL,
	originator VARCHAR(3) NOT NULL,
	holder VARCHAR(3) NOT NULL,
	state VARCHAR(16) NOT NULL,
	topic VARCHAR(64) NOT NULL,
	purpose TEXT NOT NULL,
	level_ref VARCHAR(48) NOT NULL,
	holder_level_ref VARCHAR(48) NOT NULL,
	label_digest VARCHAR(71) NOT NULL,
	provided_at TIMESTAMP WITH TIME ZONE NOT NULL,
	recorded_at TIMESTAMP WITH TIME ZONE NOT NULL,
	review_on DATE,
	facility_id VARCHAR(64),
	ciphertext BYTEA NOT NULL,
	binding BYTEA NOT NULL,
	kind VARCHAR(16) NOT NULL,
	parent_id VARCHAR(32),
	copy_number INTEGER,
	purpose_lapsed BOOLEAN NOT NULL,
	seal BYTEA,
	PRIMARY KEY (id)
);

CREATE INDEX ix_items_parent ON items (parent_id);

CREATE INDEX ix_items_state ON items (state);

CREATE TABLE key_uses (
	key_id BYTEA NOT NULL,
	count BIGINT NOT NULL,
	PRIMARY KEY (key_id)
);

CREATE TABLE labels (
	digest VARCHAR(71) NOT NULL,
	item_id VARCHAR(32) NOT NULL,
	revision INTEGER NOT NULL,
	label BYTEA NOT NULL,
	recorded_at TIMESTAMP WITH TIME ZONE NOT NULL,
	seal BYTEA,
	PRIMARY KEY (item_id, revision)
);

CREATE TABLE outbox (
	seq BIGSERIAL NOT NULL,
	id VARCHAR(64) NOT NULL,
	destination VARCHAR(3) NOT NULL,
	kind VARCHAR(32) NOT NULL,
	body BYTEA NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	state VARCHAR(16) NOT NULL,
	attempts INTEGER NOT NULL,
	next_attempt_at TIMESTAMP WITH TIME ZONE,
	last_error TEXT NOT NULL,
	batch VARCHAR(64),
	PRIMARY KEY (seq),
	UNIQUE (id)
);

CREATE INDEX ix_outbox_batch ON outbox (batch);

CREATE INDEX ix_outbox_due ON outbox (state, next_attempt_at);

CREATE TABLE persons (
	id VARCHAR(64) NOT NULL,
	party VARCHAR(3) NOT NULL,
	name TEXT NOT NULL,
	role VARCHAR(32) NOT NULL,
	clearance_ref VARCHAR(48),
	clearance_granted_on DATE,
	clearance_expires_on DATE,
	need_to_know TEXT NOT NULL,
	rank TEXT NOT NULL,
	nationality VARCHAR(3) NOT NULL,
	seal BYTEA,
	PRIMARY KEY (id)
);

CREATE TABLE rate_buckets (
	key VARCHAR(200) NOT NULL,
	tokens FLOAT NOT NULL,
	at FLOAT NOT NULL,
	ok BOOLEAN NOT NULL,
	PRIMARY KEY (key)
);

CREATE TABLE records (
	kind VARCHAR(32) NOT NULL,
	id VARCHAR(64) NOT NULL,
	version INTEGER NOT NULL,
	state VARCHAR(32) NOT NULL,
	item_id VARCHAR(32),
	body TEXT NOT NULL,
	document BYTEA NOT NULL,
	updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
	seal BYTEA,
	PRIMARY KEY (kind, id, version)
);

CREATE INDEX ix_records_item ON records (kind, item_id);

CREATE TABLE registrations (
	facility_id VARCHAR(64) NOT NULL,
	person_id VARCHAR(64) NOT NULL,
	seal BYTEA,
	PRIMARY KEY (facility_id, person_id)
);

CREATE TABLE request_keys (
	scope VARCHAR(64) NOT NULL,
	key VARCHAR(255) NOT NULL,
	fingerprint VARCHAR(64) NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	status INTEGER,
	media_type VARCHAR(100) NOT NULL,
	answer BYTEA NOT NULL,
	PRIMARY KEY (scope, key)
);

CREATE INDEX ix_request_keys_created ON request_keys (created_at);

CREATE TABLE state_journal (
	seq BIGSERIAL NOT NULL,
	entry BIGINT NOT NULL,
	tbl VARCHAR(16) NOT NULL,
	key VARCHAR(200) NOT NULL,
	version INTEGER NOT NULL,
	seal BYTEA,
	PRIMARY KEY (seq)
);

CREATE INDEX ix_state_journal_entry ON state_journal (entry, seq);

CREATE INDEX ix_state_journal_row ON state_journal (tbl, key, version, seq);

CREATE TABLE ledger_alarms (
	id SERIAL NOT NULL,
	at VARCHAR(32) NOT NULL,
	origin VARCHAR(255) NOT NULL,
	finding VARCHAR(32) NOT NULL,
	message TEXT NOT NULL,
	evidence TEXT NOT NULL,
	PRIMARY KEY (id)
);

CREATE TABLE ledger_checkpoints (
	origin VARCHAR(255) NOT NULL,
	size BIGINT NOT NULL,
	note TEXT NOT NULL,
	at VARCHAR(32) NOT NULL,
	PRIMARY KEY (origin, size)
);

CREATE TABLE ledger_cosignatures (
	origin VARCHAR(255) NOT NULL,
	size BIGINT NOT NULL,
	cosigner VARCHAR(255) NOT NULL,
	line TEXT NOT NULL,
	PRIMARY KEY (origin, size, cosigner)
);

CREATE TABLE ledger_keys (
	origin VARCHAR(255) NOT NULL,
	key VARCHAR(128) NOT NULL,
	seq BIGINT NOT NULL,
	PRIMARY KEY (origin, key, seq)
);

CREATE TABLE ledger_logs (
	origin VARCHAR(255) NOT NULL,
	size BIGINT NOT NULL,
	integrated BIGINT NOT NULL,
	compact BYTEA NOT NULL,
	PRIMARY KEY (origin)
);

CREATE TABLE ledger_runs (
	origin VARCHAR(255) NOT NULL,
	start BIGINT NOT NULL,
	count BIGINT NOT NULL,
	entries BYTEA NOT NULL,
	hashes BYTEA NOT NULL,
	PRIMARY KEY (origin, start)
);

CREATE TABLE ledger_tiles (
	origin VARCHAR(255) NOT NULL,
	level INTEGER NOT NULL,
	start BIGINT NOT NULL,
	data BYTEA NOT NULL,
	PRIMARY KEY (origin, level, start)
);

CREATE TABLE ledger_witness_log (
	origin VARCHAR(255) NOT NULL,
	size BIGINT NOT NULL,
	note TEXT NOT NULL,
	at VARCHAR(32) NOT NULL,
	PRIMARY KEY (origin, size)
);

CREATE TABLE ledger_witnessed (
	origin VARCHAR(255) NOT NULL,
	size BIGINT NOT NULL,
	root BYTEA NOT NULL,
	note TEXT NOT NULL,
	at VARCHAR(32) NOT NULL,
	PRIMARY KEY (origin)
);

