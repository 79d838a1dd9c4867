package io.modelpool.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.schemas.registry.SchemaRegistryClient;
import io.modelpool.schemas.testing.DevRegistry;
import io.modelpool.v1.Capability;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.JobRegistration;
import io.modelpool.v1.JobStatus;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The job contract's additions for cancel and expiry (JobRegistration.expiresAt, JobStatus's new states and fields,
 * ErrorCode.CANCELLED) evolve the previous release's schemas (kept under {@code previous/}) compatibly both ways: the
 * devstack registry, which enforces BACKWARD, accepts the new version after the old one, and each side reads the
 * other's data.
 */
class JobContractEvolutionTest {

    @ParameterizedTest
    @ValueSource(strings = {"JobRegistration", "JobStatus", "ErrorCode"})
    void theNewVersionIsFullyCompatibleWithThePreviousOneAndTheRegistryAcceptsIt(String name) throws IOException {
        Schema previous = previous(name);
        Schema current = switch (name) {
            case "JobRegistration" -> JobRegistration.getClassSchema();
            case "JobStatus" -> JobStatus.getClassSchema();
            default -> ErrorCode.getClassSchema();
        };

        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(current, previous)
                        .getType())
                .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(previous, current)
                        .getType())
                .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        SchemaRegistryClient registry = DevRegistry.client();
        String subject = DevRegistry.uniqueTopic("job-contract-" + name) + "-value";
        int before = registry.register(subject, previous);
        int after = registry.register(subject, current);
        assertThat(after).isNotEqualTo(before);
    }

    private static Schema previous(String name) throws IOException {
        try (InputStream in = JobContractEvolutionTest.class.getResourceAsStream("/previous/" + name + ".avsc")) {
            assertThat(in).as("previous/%s.avsc", name).isNotNull();
            Schema.Parser parser = new Schema.Parser();
            parser.parse(Capability.getClassSchema().toString()); // the records name it without defining it
            return parser.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }
}
