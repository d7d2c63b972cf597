-- The tables of a DataJoint 0.14 schema as MariaDB prints them (SHOW CREATE TABLE);
-- `{db}` is replaced by the database name.

CREATE TABLE `{db}`.`~log` (
  `timestamp` timestamp NOT NULL DEFAULT current_timestamp(),
  `version` varchar(12) NOT NULL COMMENT 'datajoint version',
  `user` varchar(255) NOT NULL COMMENT 'user@host',
  `host` varchar(255) NOT NULL DEFAULT '' COMMENT 'system hostname',
  `event` varchar(255) NOT NULL DEFAULT '' COMMENT 'event message',
  PRIMARY KEY (`timestamp`)
) ENGINE=InnoDB COMMENT='event logging table for `{db}`';

CREATE TABLE `{db}`.`~jobs` (
  `table_name` varchar(255) NOT NULL COMMENT 'className of the table',
  `key_hash` char(32) NOT NULL COMMENT 'key hash',
  `status` enum('reserved','error','ignore') NOT NULL COMMENT 'if tuple is missing, the job is available',
  `key` blob DEFAULT NULL COMMENT 'structure containing the key',
  `error_message` varchar(2047) NOT NULL DEFAULT '' COMMENT 'error message returned if failed',
  `error_stack` mediumblob DEFAULT NULL COMMENT 'error stack if failed',
  `user` varchar(255) NOT NULL DEFAULT '' COMMENT 'database user',
  `host` varchar(255) NOT NULL DEFAULT '' COMMENT 'system hostname',
  `pid` int(10) unsigned NOT NULL DEFAULT 0 COMMENT 'system process id',
  `connection_id` bigint(20) unsigned NOT NULL DEFAULT 0 COMMENT 'connection_id()',
  `timestamp` timestamp NOT NULL DEFAULT current_timestamp() COMMENT 'automatic timestamp',
  PRIMARY KEY (`table_name`,`key_hash`)
) ENGINE=InnoDB COMMENT='job reservation table for `{db}`';

CREATE TABLE `{db}`.`~external_local` (
  `hash` binary(16) NOT NULL COMMENT ':uuid:hash of contents (blob), of filename + contents (attach), or relative filepath (filepath)',
  `size` bigint(20) unsigned NOT NULL COMMENT 'size of object in bytes',
  `attachment_name` varchar(255) DEFAULT NULL COMMENT 'the filename of an attachment',
  `filepath` varchar(1000) DEFAULT NULL COMMENT 'relative filepath or attachment filename',
  `contents_hash` binary(16) DEFAULT NULL COMMENT ':uuid:used for the filepath datatype',
  `timestamp` timestamp NOT NULL DEFAULT current_timestamp() COMMENT 'automatic timestamp',
  PRIMARY KEY (`hash`)
) ENGINE=InnoDB COMMENT='external storage tracking';

CREATE TABLE `{db}`.`#species` (
  `species` varchar(32) NOT NULL COMMENT 'species name',
  PRIMARY KEY (`species`)
) ENGINE=InnoDB COMMENT='species';

CREATE TABLE `{db}`.`subject` (
  `subject_id` int(11) NOT NULL COMMENT 'subject number',
  `species` varchar(32) NOT NULL COMMENT 'species name',
  `weight` double NOT NULL DEFAULT 20.5 COMMENT 'grams',
  `date_of_birth` date DEFAULT NULL,
  PRIMARY KEY (`subject_id`),
  KEY `species` (`species`),
  CONSTRAINT `subject_ibfk_1` FOREIGN KEY (`species`) REFERENCES `#species` (`species`) ON UPDATE CASCADE
) ENGINE=InnoDB COMMENT='experimental subjects';

CREATE TABLE `{db}`.`session` (
  `subject_id` int(11) NOT NULL COMMENT 'subject number',
  `session_idx` smallint(5) unsigned NOT NULL COMMENT 'session within the subject',
  `session_note` varchar(255) NOT NULL DEFAULT '' COMMENT 'it''s a note',
  `settings` longblob DEFAULT NULL COMMENT 'acquisition settings',
  `protocol` longblob DEFAULT NULL COMMENT ':attach:protocol document',
  PRIMARY KEY (`subject_id`,`session_idx`),
  CONSTRAINT `session_ibfk_1` FOREIGN KEY (`subject_id`) REFERENCES `subject` (`subject_id`) ON UPDATE CASCADE
) ENGINE=InnoDB COMMENT='recording sessions';

CREATE TABLE `{db}`.`_recording` (
  `subject_id` int(11) NOT NULL COMMENT 'subject number',
  `session_idx` smallint(5) unsigned NOT NULL COMMENT 'session within the subject',
  `sampling_rate` float NOT NULL COMMENT 'Hz',
  `trace` binary(16) NOT NULL COMMENT ':blob@local:the raw trace',
  `notes_file` binary(16) DEFAULT NULL COMMENT ':attach@local:lab notes',
  `raw_file` binary(16) DEFAULT NULL COMMENT ':filepath@local:acquisition file',
  PRIMARY KEY (`subject_id`,`session_idx`),
  KEY `trace` (`trace`),
  KEY `notes_file` (`notes_file`),
  KEY `raw_file` (`raw_file`),
  CONSTRAINT `_recording_ibfk_1` FOREIGN KEY (`subject_id`, `session_idx`) REFERENCES `session` (`subject_id`, `session_idx`) ON UPDATE CASCADE,
  CONSTRAINT `_recording_ibfk_2` FOREIGN KEY (`trace`) REFERENCES `~external_local` (`hash`),
  CONSTRAINT `_recording_ibfk_3` FOREIGN KEY (`notes_file`) REFERENCES `~external_local` (`hash`),
  CONSTRAINT `_recording_ibfk_4` FOREIGN KEY (`raw_file`) REFERENCES `~external_local` (`hash`)
) ENGINE=InnoDB COMMENT='imported recordings';

CREATE TABLE `{db}`.`__activity` (
  `subject_id` int(11) NOT NULL COMMENT 'subject number',
  `session_idx` smallint(5) unsigned NOT NULL COMMENT 'session within the subject',
  `mean_rate` double NOT NULL,
  `n_spikes` int(10) unsigned NOT NULL,
  `spikes` mediumblob NOT NULL COMMENT 'spike times',
  `summary` binary(16) DEFAULT NULL COMMENT ':blob@local:',
  PRIMARY KEY (`subject_id`,`session_idx`),
  KEY `summary` (`summary`),
  CONSTRAINT `__activity_ibfk_1` FOREIGN KEY (`subject_id`, `session_idx`) REFERENCES `_recording` (`subject_id`, `session_idx`) ON UPDATE CASCADE,
  CONSTRAINT `__activity_ibfk_2` FOREIGN KEY (`summary`) REFERENCES `~external_local` (`hash`)
) ENGINE=InnoDB COMMENT='activity';

CREATE TABLE `{db}`.`__activity__unit` (
  `subject_id` int(11) NOT NULL COMMENT 'subject number',
  `session_idx` smallint(5) unsigned NOT NULL COMMENT 'session within the subject',
  `unit_id` tinyint(3) unsigned NOT NULL,
  `waveform` longblob NOT NULL,
  PRIMARY KEY (`subject_id`,`session_idx`,`unit_id`),
  CONSTRAINT `__activity__unit_ibfk_1` FOREIGN KEY (`subject_id`, `session_idx`) REFERENCES `__activity` (`subject_id`, `session_idx`) ON UPDATE CASCADE
) ENGINE=InnoDB;
