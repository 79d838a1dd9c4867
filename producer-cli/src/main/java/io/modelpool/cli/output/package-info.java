/**
 * Writing what a job produced: the reorder window that releases results in input order with bounded
 * memory, the JSON Lines result writer, and the progress display on stderr.
 *
 * <p>Owns output only: it must not import Kafka clients, the schemas module or the command classes, so
 * each piece can be tested alone.
 */
package io.modelpool.cli.output;
