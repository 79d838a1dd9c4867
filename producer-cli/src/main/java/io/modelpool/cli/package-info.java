/**
 * The {@code modelpool} command and its reusable jobs. {@link io.modelpool.cli.Main} is the entry point;
 * {@link io.modelpool.cli.EmbedJob} (embed a file through Kafka and wait for the vectors) and
 * {@link io.modelpool.cli.SubmitJob} (produce a file's requests without waiting) are the public API that
 * other modules, such as the worker's {@code local} mode, call in-process; {@link io.modelpool.cli.KafkaConnection}
 * says where Kafka and the schema registry are.
 *
 * <p>Talks to Kafka through the clients and the schemas module's serde only: it must not import the
 * worker, the devstack or any model code.
 */
package io.modelpool.cli;
