package io.modelpool.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.schemas.testing.ContractSamples;
import io.modelpool.v1.Capability;
import io.modelpool.v1.DeadLetter;
import io.modelpool.v1.EmbeddingInputType;
import io.modelpool.v1.ImageEmbeddingRequest;
import io.modelpool.v1.JobRegistration;
import io.modelpool.v1.JobState;
import io.modelpool.v1.JobStatus;
import io.modelpool.v1.TextEmbeddingRequest;
import io.modelpool.v1.TextEmbeddingResult;
import io.modelpool.v1.TextToImageResult;
import io.modelpool.v1.VisionResult;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class ContractTest {

    @Test
    void eachCapabilityHasItsRequestAndResultClass() {
        assertThat(Contract.requestClass(Capability.TEXT_EMBEDDING)).isEqualTo(TextEmbeddingRequest.class);
        assertThat(Contract.resultClass(Capability.TEXT_EMBEDDING)).isEqualTo(TextEmbeddingResult.class);
        assertThat(Contract.requestClass(Capability.IMAGE_EMBEDDING)).isEqualTo(ImageEmbeddingRequest.class);
        assertThat(Contract.resultClass(Capability.VISION)).isEqualTo(VisionResult.class);
        assertThat(Contract.resultClass(Capability.TEXT_TO_IMAGE)).isEqualTo(TextToImageResult.class);
    }

    @Test
    void requestAndResultNamesFollowTheCapabilityName() {
        for (Capability capability : Capability.values()) {
            String stem = Arrays.stream(capability.name().split("_"))
                    .map(part -> part.charAt(0) + part.substring(1).toLowerCase())
                    .reduce("", String::concat);
            assertThat(Contract.requestSchema(capability).getFullName())
                    .isEqualTo("io.modelpool.v1." + stem + "Request");
            assertThat(Contract.resultSchema(capability).getFullName()).isEqualTo("io.modelpool.v1." + stem + "Result");
            assertThat(Contract.capabilityOf(Contract.requestClass(capability))).contains(capability);
            assertThat(Contract.capabilityOf(Contract.resultClass(capability))).contains(capability);
        }
        assertThat(Contract.capabilityOf(DeadLetter.class)).isEmpty();
    }

    @Test
    void everyRequestCarriesAnIdAJobIdAModelAndADeadline() {
        for (Capability capability : Capability.values()) {
            Schema request = Contract.requestSchema(capability);
            assertThat(request.getFields()).extracting(Schema.Field::name).contains("id", "jobId", "model", "deadline");
        }
    }

    @Test
    void everyResultCarriesTheRequestIdStatusErrorPayloadTimingsAndWorker() {
        for (Capability capability : Capability.values()) {
            Schema result = Contract.resultSchema(capability);
            assertThat(result.getFields())
                    .extracting(Schema.Field::name)
                    .containsExactly(
                            "requestId", "jobId", "model", "status", "error", "payload", "timings", "workerId");
        }
    }

    @Test
    void buildersThatLeaveEnumFieldsAtTheirDefaultsAndCopyBuildersWorkOnAvro1122() {
        Contract.trustGeneratedClasses();

        TextEmbeddingRequest request = TextEmbeddingRequest.newBuilder()
                .setId("r")
                .setModel("m")
                .setTexts(List.of("x"))
                .build();
        JobStatus status = JobStatus.newBuilder()
                .setJobId("j")
                .setSucceeded(1)
                .setFailed(0)
                .setUpdatedAt(Instant.EPOCH)
                .build();
        TextEmbeddingResult copied = TextEmbeddingResult.newBuilder(ContractSamples.textEmbeddingResult())
                .build();

        assertThat(request.getInputType()).isEqualTo(EmbeddingInputType.DOCUMENT);
        assertThat(status.getState()).isEqualTo(JobState.UNKNOWN);
        assertThat(status.getExpectedCount()).isEqualTo(-1);
        assertThat(copied).isEqualTo(ContractSamples.textEmbeddingResult());
    }

    @Test
    void recordClassesListsThirteenTopLevelRecords() {
        assertThat(Contract.recordClasses())
                .hasSize(13)
                .contains(DeadLetter.class, JobRegistration.class, JobStatus.class)
                .doesNotHaveDuplicates();
    }
}
