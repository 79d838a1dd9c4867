package io.modelpool.local;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.CompositeArchRule;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every import rule that a {@code package-info.java} states, checked against the compiled classes of every module
 * but the benchmarks (this module depends on all of them; nothing depends on {@code bench}, which is the rule stated
 * for it). Each rule names the package-info it comes from; when one fails, ArchUnit lists each offending dependency
 * with its class and line.
 */
class ArchitectureTest {

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.modelpool");

    private static final String WORKER = "io.modelpool.worker..";
    private static final String CLI = "io.modelpool.cli..";
    private static final String DEVSTACK = "io.modelpool.devstack..";
    private static final String LOCAL = "io.modelpool.local..";
    private static final String SCHEMAS = "io.modelpool.schemas..";
    private static final String KAFKA_SUPPORT = "io.modelpool.kafka..";
    private static final String CONTRACT = "io.modelpool.v1..";
    private static final String ONNX = "ai.onnxruntime..";
    private static final String DJL = "ai.djl..";
    private static final String KAFKA_PRODUCER = "org.apache.kafka.clients.producer..";
    private static final String KAFKA_CONSUMER = "org.apache.kafka.clients.consumer..";
    private static final String KAFKA_ADMIN = "org.apache.kafka.clients.admin..";
    private static final String KAFKA_STREAMS = "org.apache.kafka.streams..";
    private static final String KAFKA_SERVER = "kafka..";
    private static final String KAFKA_METADATA = "org.apache.kafka.metadata..";
    private static final String KAFKA_ANY = "org.apache.kafka..";

    /**
     * The pool's public face that kafka/ may use: the errors a submission can be refused with, and the withdrawal
     * scope a cancelled or expired job's queued tasks are withdrawn by.
     */
    private static final Set<String> POOL_API = Set.of(
            "io.modelpool.worker.pool.PoolError", "io.modelpool.worker.pool.PoolRejectedException",
            "io.modelpool.worker.pool.Withdrawal", "io.modelpool.worker.pool.Withdrawals");

    /** The capability classes kafka/ may use: kafka/package-info's seam. */
    private static final Set<String> KAFKA_SEAM = Set.of(
            "io.modelpool.worker.capability.CapabilityServices",
            "io.modelpool.worker.capability.CapabilityService",
            "io.modelpool.worker.capability.Outcome",
            "io.modelpool.worker.capability.RequestContext",
            "io.modelpool.worker.capability.RequestFields",
            "io.modelpool.worker.capability.RequestPriorities",
            "io.modelpool.worker.capability.AbandonedAtShutdownException");

    private static ArchRule mustNotImport(String from, String why, String... packages) {
        return noClasses()
                .that()
                .resideInAPackage(from)
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(packages)
                .because(why);
    }

    // ---------------------------------------------------------------- schemas module

    static final CompositeArchRule SCHEMAS_RULES = CompositeArchRule.of(noClasses()
                    .that()
                    .resideInAPackage("io.modelpool.schemas")
                    .should()
                    .dependOnClassesThat()
                    .resideInAnyPackage(
                            WORKER, CLI, DEVSTACK, KAFKA_PRODUCER, KAFKA_CONSUMER, KAFKA_ADMIN, KAFKA_STREAMS)
                    .because("schemas/package-info: must not import the worker, the CLI, the devstack, Kafka clients "
                            + "beyond org.apache.kafka.common"))
            .and(mustNotImport(
                    "io.modelpool.schemas.serde..",
                    "schemas.serde/package-info",
                    WORKER,
                    CLI,
                    DEVSTACK,
                    KAFKA_PRODUCER,
                    KAFKA_CONSUMER,
                    KAFKA_ADMIN,
                    KAFKA_STREAMS))
            .and(mustNotImport(
                    "io.modelpool.schemas.registry..",
                    "schemas.registry/package-info: knows schemas and " + "subjects, never records",
                    "io.modelpool.schemas.serde..",
                    WORKER,
                    KAFKA_PRODUCER,
                    KAFKA_CONSUMER,
                    KAFKA_ADMIN,
                    KAFKA_STREAMS))
            .and(noClasses()
                    .that()
                    .resideInAPackage("io.modelpool.schemas.internal..")
                    .should()
                    .dependOnClassesThat()
                    .resideInAnyPackage(
                            WORKER,
                            CLI,
                            DEVSTACK,
                            LOCAL,
                            KAFKA_SUPPORT,
                            "io.modelpool.schemas",
                            "io.modelpool.schemas.serde..",
                            "io.modelpool.schemas.registry..")
                    .because("schemas.internal/package-info: must not import any other modelpool package"))
            .and(noClasses()
                    .that()
                    .resideOutsideOfPackage(SCHEMAS)
                    .should()
                    .dependOnClassesThat()
                    .resideInAPackage("io.modelpool.schemas.internal..")
                    .because("schemas.internal/package-info: other modules must not import it"));

    // ---------------------------------------------------------------- devstack, kafka-support, local

    static final CompositeArchRule DEVSTACK_RULES = CompositeArchRule.of(mustNotImport(
                    DEVSTACK,
                    "devstack/package-info: every module may depend on it, so it depends on none of "
                            + "them (kafka-support aside, which exists for it)",
                    WORKER,
                    CLI,
                    LOCAL,
                    SCHEMAS,
                    CONTRACT))
            .and(noClasses()
                    .that()
                    .resideOutsideOfPackage("io.modelpool.devstack.kafka..")
                    .and()
                    .resideInAPackage(DEVSTACK)
                    .should()
                    .dependOnClassesThat()
                    .resideInAnyPackage(KAFKA_SERVER, KAFKA_METADATA)
                    .because("devstack.kafka/package-info: the only package that touches Kafka's server internals"))
            .and(mustNotImport(
                    "io.modelpool.devstack.kafka..", "devstack.kafka/package-info", "io.modelpool.devstack.registry.."))
            .and(mustNotImport(
                    "io.modelpool.devstack.registry..",
                    "devstack.registry/package-info: talks to Kafka " + "through the clients only",
                    "io.modelpool.devstack.kafka..",
                    KAFKA_SERVER,
                    KAFKA_METADATA));

    static final ArchRule KAFKA_SUPPORT_RULES = mustNotImport(
            KAFKA_SUPPORT,
            "kafka-support/package-info: nothing " + "of modelpool, no Kafka artifact beyond kafka-clients",
            WORKER,
            CLI,
            DEVSTACK,
            LOCAL,
            SCHEMAS,
            CONTRACT,
            KAFKA_SERVER,
            KAFKA_METADATA,
            KAFKA_STREAMS);

    static final ArchRule NOTHING_DEPENDS_ON_LOCAL = noClasses()
            .that()
            .resideOutsideOfPackage(LOCAL)
            .should()
            .dependOnClassesThat()
            .resideInAPackage(LOCAL)
            .because("local/package-info: nothing depends on it");

    // ---------------------------------------------------------------- producer-cli

    static final CompositeArchRule CLI_RULES = CompositeArchRule.of(mustNotImport(
                    CLI,
                    "cli/package-info: talks to Kafka through the clients and the schemas serde only",
                    WORKER,
                    DEVSTACK,
                    LOCAL,
                    ONNX,
                    DJL))
            .and(mustNotImport(
                    "io.modelpool.cli.input..",
                    "cli.input/package-info: owns file formats only",
                    KAFKA_ANY,
                    "org.apache.avro..",
                    CONTRACT,
                    SCHEMAS,
                    "io.modelpool.cli",
                    "io.modelpool.cli.command..",
                    "io.modelpool.cli.kafka..",
                    "io.modelpool.cli.output.."))
            .and(mustNotImport(
                    "io.modelpool.cli.output..",
                    "cli.output/package-info: owns output only",
                    "org.apache.kafka.clients..",
                    SCHEMAS,
                    "io.modelpool.cli.command.."))
            .and(mustNotImport(
                    "io.modelpool.cli.command..",
                    "cli.command/package-info: never Kafka clients directly",
                    "org.apache.kafka.clients.."))
            .and(mustNotImport("io.modelpool.cli.kafka..", "cli.kafka/package-info", "io.modelpool.cli.command.."));

    // ---------------------------------------------------------------- worker

    static final CompositeArchRule WORKER_RULES = CompositeArchRule.of(mustNotImport(
                    "io.modelpool.worker.pool..",
                    "pool/package-info: it moves opaque tasks and never learns "
                            + "that a model, a capability, a tokenizer or a tensor exists",
                    CONTRACT,
                    ONNX,
                    DJL,
                    KAFKA_ANY,
                    "io.modelpool.worker",
                    "io.modelpool.worker.capability..",
                    "io.modelpool.worker.config..",
                    "io.modelpool.worker.jobs..",
                    "io.modelpool.worker.kafka..",
                    "io.modelpool.worker.lifecycle..",
                    "io.modelpool.worker.manifest..",
                    "io.modelpool.worker.observe..",
                    "io.modelpool.worker.runtime.."))
            .and(mustNotImport(
                    "io.modelpool.worker.runtime..",
                    "runtime/package-info: knows nothing of " + "capabilities, requests or Kafka",
                    CONTRACT,
                    KAFKA_ANY,
                    "io.modelpool.worker.pool.."))
            .and(mustNotImport(
                    "io.modelpool.worker.capability..",
                    "capability/package-info: results go back to " + "the intake through futures",
                    KAFKA_ANY))
            .and(mustNotImport(
                    "io.modelpool.worker.capability.image..",
                    "capability.image/package-info: knows " + "images and requests, not model sessions",
                    ONNX))
            .and(noClasses()
                    .that()
                    .resideInAPackage("io.modelpool.worker.kafka..")
                    .should()
                    .dependOnClassesThat(DescribedPredicate.describe(
                            "pool internals or capability code beyond " + "the seam",
                            c -> (c.getPackageName().startsWith("io.modelpool.worker.pool")
                                            && !POOL_API.contains(c.getName().replaceAll("\\$.*", "")))
                                    || (c.getPackageName().startsWith("io.modelpool.worker.capability")
                                            && !KAFKA_SEAM.contains(c.getName().replaceAll("\\$.*", "")))))
                    .because("kafka/package-info: may import the capability layer's seam and the schemas module; "
                            + "must not import the pool core's internals"))
            .and(mustNotImport(
                    "io.modelpool.worker.kafka..", "kafka/package-info: must not import ONNX Runtime", ONNX, DJL))
            .and(noClasses()
                    .that(DescribedPredicate.describe(
                            "are not the Guarantee",
                            c -> !c.getName().startsWith("io.modelpool.worker.kafka.Guarantee")))
                    .should()
                    .dependOnClassesThat(DescribedPredicate.describe(
                            "deliver by one guarantee",
                            c -> c.getName().equals("io.modelpool.worker.kafka.AtLeastOnceDelivery")
                                    || c.getName().equals("io.modelpool.worker.kafka.ExactlyOnceDelivery")))
                    .because("kafka/package-info: the Delivery is chosen once, by the Guarantee; no other class "
                            + "branches on the guarantee"))
            .and(mustNotImport(
                    "io.modelpool.worker.lifecycle..",
                    "lifecycle/package-info: drives the worker " + "through ShutdownCoordinator.Target",
                    KAFKA_ANY,
                    ONNX))
            .and(mustNotImport("io.modelpool.worker.observe..", "observe/package-info", ONNX, DJL))
            .and(noClasses()
                    .that()
                    .resideInAPackage(WORKER)
                    .and()
                    .resideOutsideOfPackage("io.modelpool.worker.observe..")
                    .and()
                    .doNotHaveFullyQualifiedName("io.modelpool.worker.Worker")
                    .should()
                    .dependOnClassesThat()
                    .resideInAPackage("io.modelpool.worker.observe..")
                    .because("observe/package-info: nothing else in the worker imports it except the composition "
                            + "root (Worker)"))
            .and(mustNotImport(
                    "io.modelpool.worker.config..",
                    "config/package-info",
                    "io.modelpool.worker.pool..",
                    "io.modelpool.worker.capability..",
                    "io.modelpool.worker.runtime..",
                    "io.modelpool.worker.kafka.."))
            .and(mustNotImport(
                    "io.modelpool.worker.manifest..",
                    "manifest/package-info: plain data",
                    ONNX,
                    DJL,
                    KAFKA_ANY,
                    "io.modelpool.worker.pool.."))
            .and(mustNotImport(
                    "io.modelpool.worker.jobs..",
                    "jobs/package-info: the tracker works the same " + "whichever worker produced a result",
                    "io.modelpool.worker.pool..",
                    "io.modelpool.worker.capability..",
                    "io.modelpool.worker.runtime..",
                    "io.modelpool.worker.kafka.."))
            .and(noClasses()
                    .that()
                    .resideInAPackage(WORKER)
                    .and()
                    .resideOutsideOfPackage("io.modelpool.worker.lifecycle..")
                    .and()
                    .doNotHaveFullyQualifiedName("io.modelpool.worker.WorkerMain")
                    .should()
                    .callMethod(System.class, "exit", int.class)
                    .orShould()
                    .callMethod(Runtime.class, "exit", int.class)
                    .orShould()
                    .callMethod(Runtime.class, "halt", int.class)
                    .because("lifecycle/package-info: the only package besides the entry point allowed to end the "
                            + "process"));

    @Test
    void theSchemasModuleKeepsItsRules() {
        SCHEMAS_RULES.check(CLASSES);
    }

    @Test
    void theDevstackKafkaSupportAndLauncherKeepTheirRules() {
        CompositeArchRule.of(DEVSTACK_RULES)
                .and(KAFKA_SUPPORT_RULES)
                .and(NOTHING_DEPENDS_ON_LOCAL)
                .check(CLASSES);
    }

    @Test
    void theCommandLineClientKeepsItsRules() {
        CLI_RULES.check(CLASSES);
    }

    @Test
    void theWorkerKeepsEveryPackageRule() {
        WORKER_RULES.check(CLASSES);
    }
}
