/**
 * Reading job inputs: plain text lines, JSON Lines and CSV, streamed one record at a time so that a
 * million-line file is read in constant memory. Each record carries its line number, an optional
 * caller-chosen id and the text to embed.
 *
 * <p>Owns file formats only: it must not import Kafka, Avro or anything from {@code io.modelpool.cli}'s
 * other packages.
 */
package io.modelpool.cli.input;
