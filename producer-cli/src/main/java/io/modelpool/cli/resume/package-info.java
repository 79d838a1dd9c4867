/**
 * {@code modelpool embed --resume}: the job's state file written before anything is produced, the part of the
 * output an earlier run wrote completely, and which of the job's requests Kafka already holds. Imports the CLI's
 * input and Kafka helpers; nothing here prints or decides exit codes.
 */
package io.modelpool.cli.resume;
