CREATE TABLE schema_version (
	version INTEGER NOT NULL, 
	applied_at DATETIME NOT NULL, 
	CONSTRAINT pk_schema_version PRIMARY KEY (version)
);

CREATE TABLE users (
	id INTEGER NOT NULL, 
	username VARCHAR(80) NOT NULL, 
	full_name VARCHAR(200) NOT NULL, 
	role VARCHAR(20) NOT NULL, 
	location VARCHAR(200), 
	password_hash VARCHAR(255) NOT NULL, 
	active BOOLEAN NOT NULL, 
	must_change_password BOOLEAN NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_users PRIMARY KEY (id), 
	CONSTRAINT ck_users_role CHECK (role IN ('technician', 'trainer', 'manager')), 
	CONSTRAINT uq_users_username UNIQUE (username)
);

CREATE TABLE attempts (
	id INTEGER NOT NULL, 
	user_id INTEGER NOT NULL, 
	kind VARCHAR(10) NOT NULL, 
	module_id VARCHAR(100), 
	started_at DATETIME NOT NULL, 
	deadline DATETIME, 
	questions_json TEXT, 
	policy_json TEXT, 
	CONSTRAINT pk_attempts PRIMARY KEY (id), 
	CONSTRAINT ck_attempts_kind CHECK (kind IN ('practice', 'quiz', 'exam', 'review')), 
	CONSTRAINT fk_attempts_user_id FOREIGN KEY(user_id) REFERENCES users (id)
);

CREATE INDEX ix_attempts_user_id_kind_module_id ON attempts (user_id, kind, module_id);

CREATE TABLE audit_log (
	id INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	actor_id INTEGER, 
	actor_username VARCHAR(80) NOT NULL, 
	action VARCHAR(60) NOT NULL, 
	target VARCHAR(200) NOT NULL, 
	detail TEXT NOT NULL, 
	prev_hash VARCHAR(64) NOT NULL, 
	hash VARCHAR(64) NOT NULL, 
	CONSTRAINT pk_audit_log PRIMARY KEY (id), 
	CONSTRAINT fk_audit_log_actor_id FOREIGN KEY(actor_id) REFERENCES users (id)
);

CREATE INDEX ix_audit_log_action ON audit_log (action);

CREATE TABLE lesson_reads (
	id INTEGER NOT NULL, 
	user_id INTEGER NOT NULL, 
	module_id VARCHAR(100) NOT NULL, 
	read_at DATETIME NOT NULL, 
	CONSTRAINT pk_lesson_reads PRIMARY KEY (id), 
	CONSTRAINT fk_lesson_reads_user_id FOREIGN KEY(user_id) REFERENCES users (id)
);

CREATE INDEX ix_lesson_reads_user_id ON lesson_reads (user_id);

CREATE TABLE practical_signoffs (
	id INTEGER NOT NULL, 
	technician_id INTEGER NOT NULL, 
	trainer_id INTEGER NOT NULL, 
	treated_on DATE NOT NULL, 
	checklist_json TEXT NOT NULL, 
	comment TEXT NOT NULL, 
	signed_at DATETIME NOT NULL, 
	CONSTRAINT pk_practical_signoffs PRIMARY KEY (id), 
	CONSTRAINT fk_practical_signoffs_technician_id FOREIGN KEY(technician_id) REFERENCES users (id), 
	CONSTRAINT fk_practical_signoffs_trainer_id FOREIGN KEY(trainer_id) REFERENCES users (id)
);

CREATE INDEX ix_practical_signoffs_technician_id ON practical_signoffs (technician_id);

CREATE TABLE review_cards (
	id INTEGER NOT NULL, 
	user_id INTEGER NOT NULL, 
	question_id VARCHAR(100) NOT NULL, 
	card_json TEXT NOT NULL, 
	due_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	CONSTRAINT pk_review_cards PRIMARY KEY (id), 
	CONSTRAINT fk_review_cards_user_id FOREIGN KEY(user_id) REFERENCES users (id)
);

CREATE INDEX ix_review_cards_user_id_question_id_id ON review_cards (user_id, question_id, id);

CREATE TABLE sign_in_failures (
	user_id INTEGER NOT NULL, 
	consecutive INTEGER NOT NULL, 
	locked_until DATETIME, 
	last_failure_at DATETIME NOT NULL, 
	CONSTRAINT pk_sign_in_failures PRIMARY KEY (user_id), 
	CONSTRAINT fk_sign_in_failures_user_id FOREIGN KEY(user_id) REFERENCES users (id)
);

CREATE TABLE attempt_results (
	attempt_id INTEGER NOT NULL, 
	finished_at DATETIME NOT NULL, 
	score FLOAT NOT NULL, 
	passed BOOLEAN, 
	closed_by VARCHAR(10) NOT NULL, 
	detail_json TEXT, 
	CONSTRAINT pk_attempt_results PRIMARY KEY (attempt_id), 
	CONSTRAINT ck_attempt_results_score CHECK (score >= 0 AND score <= 1), 
	CONSTRAINT ck_attempt_results_closed_by CHECK (closed_by IN ('submitted', 'deadline')), 
	CONSTRAINT fk_attempt_results_attempt_id FOREIGN KEY(attempt_id) REFERENCES attempts (id)
);

CREATE TABLE certificates (
	id INTEGER NOT NULL, 
	code VARCHAR(32) NOT NULL, 
	user_id INTEGER NOT NULL, 
	attempt_id INTEGER, 
	title VARCHAR(200) NOT NULL, 
	issued_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	score FLOAT NOT NULL, 
	CONSTRAINT pk_certificates PRIMARY KEY (id), 
	CONSTRAINT uq_certificates_code UNIQUE (code), 
	CONSTRAINT fk_certificates_user_id FOREIGN KEY(user_id) REFERENCES users (id), 
	CONSTRAINT fk_certificates_attempt_id FOREIGN KEY(attempt_id) REFERENCES attempts (id)
);

CREATE INDEX ix_certificates_user_id ON certificates (user_id);

CREATE TABLE responses (
	id INTEGER NOT NULL, 
	attempt_id INTEGER NOT NULL, 
	position INTEGER NOT NULL, 
	question_id VARCHAR(100) NOT NULL, 
	module_id VARCHAR(100) NOT NULL, 
	content_hash VARCHAR(128) NOT NULL, 
	snapshot_json TEXT NOT NULL, 
	answer_json TEXT NOT NULL, 
	score FLOAT NOT NULL, 
	correct BOOLEAN NOT NULL, 
	answered_at DATETIME NOT NULL, 
	seconds_taken FLOAT, 
	CONSTRAINT pk_responses PRIMARY KEY (id), 
	CONSTRAINT ck_responses_score CHECK (score >= 0 AND score <= 1), 
	CONSTRAINT fk_responses_attempt_id FOREIGN KEY(attempt_id) REFERENCES attempts (id)
);

CREATE INDEX ix_responses_attempt_id_question_id_id ON responses (attempt_id, question_id, id);

CREATE INDEX ix_responses_item_analysis ON responses (attempt_id, question_id, position, score, content_hash, answer_json);

CREATE INDEX ix_responses_question_id ON responses (question_id);

CREATE TABLE certificate_revocations (
	id INTEGER NOT NULL, 
	certificate_id INTEGER NOT NULL, 
	revoked_by INTEGER NOT NULL, 
	revoked_at DATETIME NOT NULL, 
	reason TEXT NOT NULL, 
	CONSTRAINT pk_certificate_revocations PRIMARY KEY (id), 
	CONSTRAINT fk_certificate_revocations_certificate_id FOREIGN KEY(certificate_id) REFERENCES certificates (id), 
	CONSTRAINT fk_certificate_revocations_revoked_by FOREIGN KEY(revoked_by) REFERENCES users (id)
);

CREATE INDEX ix_certificate_revocations_certificate_id ON certificate_revocations (certificate_id);

CREATE TRIGGER IF NOT EXISTS attempts_no_update BEFORE UPDATE ON attempts BEGIN SELECT RAISE(ABORT, 'attempts is append-only: write a new row instead'); END;

CREATE TRIGGER IF NOT EXISTS attempts_no_delete BEFORE DELETE ON attempts BEGIN SELECT RAISE(ABORT, 'attempts is append-only: write a new row instead'); END;

CREATE TRIGGER IF NOT EXISTS responses_no_update BEFORE UPDATE ON responses BEGIN SELECT RAISE(ABORT, 'responses is append-only: write a new row instead'); END;

CREATE TRIGGER IF NOT EXISTS responses_no_delete BEFORE DELETE ON responses BEGIN SELECT RAISE(ABORT, 'responses is append-only: write a new row instead'); END;

CREATE TRIGGER IF NOT EXISTS attempt_results_no_update BEFORE UPDATE ON attempt_results BEGIN SELECT RAISE(ABORT, 'attempt_results is append-only: write a new row instead'); END;

CREATE TRIGGER IF NOT EXISTS attempt_results_no_delete BEFORE DELETE ON attempt_results BEGIN SELECT RAISE(ABORT, 'attempt_results is append-only: write a new row instead'); END;

CREATE TRIGGER IF NOT EXISTS certificates_no_update BEFORE UPDATE ON certificates BEGIN SELECT RAISE(ABORT, 'certificates is append-only: write a new row instead'); END;

CREATE TRIGGER IF NOT EXISTS certificates_no_delete BEFORE DELETE ON certificates BEGIN SELECT RAISE(ABORT, 'certificates is append-only: write a new row instead'); END;

CREATE TRIGGER IF NOT EXISTS certificate_revocations_no_update BEFORE UPDATE ON certificate_revocations BEGIN SELECT RAISE(ABORT, 'certificate_revocations is append-only: write a new row instead'); END;

CREATE TRIGGER IF NOT EXISTS certificate_revocations_no_delete BEFORE DELETE ON certificate_revocations BEGIN SELECT RAISE(ABORT, 'certificate_revocations is append-only: write a new row instead'); END;

CREATE TRIGGER IF NOT EXISTS practical_signoffs_no_update BEFORE UPDATE ON practical_signoffs BEGIN SELECT RAISE(ABORT, 'practical_signoffs is append-only: write a new row instead'); END;

CREATE TRIGGER IF NOT EXISTS practical_signoffs_no_delete BEFORE DELETE ON practical_signoffs BEGIN SELECT RAISE(ABORT, 'practical_signoffs is append-only: write a new row instead'); END;

CREATE TRIGGER IF NOT EXISTS lesson_reads_no_update BEFORE UPDATE ON lesson_reads BEGIN SELECT RAISE(ABORT, 'lesson_reads is append-only: write a new row instead'); END;

CREATE TRIGGER IF NOT EXISTS lesson_reads_no_delete BEFORE DELETE ON lesson_reads BEGIN SELECT RAISE(ABORT, 'lesson_reads is append-only: write a new row instead'); END;

CREATE TRIGGER IF NOT EXISTS review_cards_no_update BEFORE UPDATE ON review_cards BEGIN SELECT RAISE(ABORT, 'review_cards is append-only: write a new row instead'); END;

CREATE TRIGGER IF NOT EXISTS review_cards_no_delete BEFORE DELETE ON review_cards BEGIN SELECT RAISE(ABORT, 'review_cards is append-only: write a new row instead'); END;

CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: write a new row instead'); END;

CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: write a new row instead'); END;
