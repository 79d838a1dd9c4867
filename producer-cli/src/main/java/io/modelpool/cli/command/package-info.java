/**
 * The picocli commands ({@code embed}, {@code submit}, {@code results}) and their shared options. Each
 * command turns flags into a job's options, runs the job and maps its outcome to an exit code; the work
 * itself lives in {@link io.modelpool.cli.EmbedJob}, {@link io.modelpool.cli.SubmitJob} and
 * {@link io.modelpool.cli.ResultFollower}.
 *
 * <p>Owns the command-line surface only: it must not import Kafka clients directly.
 */
package io.modelpool.cli.command;
