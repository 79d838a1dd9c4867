package io.modelpool.schemas.testing;

import io.modelpool.v1.Capability;
import io.modelpool.v1.DeadLetter;
import io.modelpool.v1.DiffusionParameters;
import io.modelpool.v1.Embedding;
import io.modelpool.v1.EmbeddingInputType;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.FinishReason;
import io.modelpool.v1.GenerationParameters;
import io.modelpool.v1.ImageEmbeddingRequest;
import io.modelpool.v1.ImageEmbeddingResult;
import io.modelpool.v1.ImageInput;
import io.modelpool.v1.JobRegistration;
import io.modelpool.v1.JobState;
import io.modelpool.v1.JobStatus;
import io.modelpool.v1.Point;
import io.modelpool.v1.ResultError;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.Scheduler;
import io.modelpool.v1.TextEmbeddingPayload;
import io.modelpool.v1.TextEmbeddingRequest;
import io.modelpool.v1.TextEmbeddingResult;
import io.modelpool.v1.TextLine;
import io.modelpool.v1.TextToImagePayload;
import io.modelpool.v1.TextToImageRequest;
import io.modelpool.v1.TextToImageResult;
import io.modelpool.v1.TextToTextPayload;
import io.modelpool.v1.TextToTextRequest;
import io.modelpool.v1.TextToTextResult;
import io.modelpool.v1.Timings;
import io.modelpool.v1.VisionPayload;
import io.modelpool.v1.VisionRequest;
import io.modelpool.v1.VisionResult;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;

/** One fully populated record of every top-level contract class, every optional field set. */
public final class ContractSamples {
    private static final Instant T0 = Instant.ofEpochMilli(1_764_000_000_123L);
    private static final Timings TIMINGS = new Timings(3L, 12L, 20L);

    private ContractSamples() {}

    /** Thirteen records: five requests, five results, a dead letter, a job registration, a job status. */
    public static List<SpecificRecord> all() {
        return List.of(
                textEmbeddingRequest(),
                textToTextRequest(),
                imageEmbeddingRequest(),
                visionRequest(),
                textToImageRequest(),
                textEmbeddingResult(),
                textToTextResult(),
                imageEmbeddingResult(),
                visionResult(),
                textToImageResult(),
                deadLetter(),
                jobRegistration(),
                jobStatus());
    }

    public static TextEmbeddingRequest textEmbeddingRequest() {
        return TextEmbeddingRequest.newBuilder()
                .setId("req-1")
                .setJobId("job-7")
                .setModel("all-minilm-l6-v2-q")
                .setDeadline(T0.plusSeconds(30))
                .setTexts(List.of("a first text", "zweiter Text, ümlaut", ""))
                .setInputType(EmbeddingInputType.QUERY)
                .build();
    }

    public static TextToTextRequest textToTextRequest() {
        return TextToTextRequest.newBuilder()
                .setId("req-2")
                .setJobId(null)
                .setModel("tiny-llm")
                .setDeadline(null)
                .setPrompt("Once upon a time")
                .setParameters(GenerationParameters.newBuilder()
                        .setMaxNewTokens(32)
                        .setTemperature(0.7f)
                        .setTopK(40)
                        .setTopP(0.9f)
                        .setRepetitionPenalty(1.1f)
                        .setSeed(42L)
                        .setStopStrings(List.of("\n\n", "THE END"))
                        .build())
                .build();
    }

    public static ImageEmbeddingRequest imageEmbeddingRequest() {
        return ImageEmbeddingRequest.newBuilder()
                .setId("req-3")
                .setJobId("job-8")
                .setModel("clip-vit-b32")
                .setDeadline(T0)
                .setImage(image())
                .setPrompt("a photo of a cat")
                .build();
    }

    public static VisionRequest visionRequest() {
        return VisionRequest.newBuilder()
                .setId("req-4")
                .setJobId(null)
                .setModel("pp-ocr-v4")
                .setDeadline(null)
                .setImage(image())
                .setPrompt(null)
                .build();
    }

    public static TextToImageRequest textToImageRequest() {
        return TextToImageRequest.newBuilder()
                .setId("req-5")
                .setJobId("job-9")
                .setModel("tiny-sd")
                .setDeadline(T0)
                .setPrompt("a red bicycle")
                .setParameters(DiffusionParameters.newBuilder()
                        .setNegativePrompt("blurry")
                        .setSteps(8)
                        .setGuidanceScale(5.5f)
                        .setScheduler(Scheduler.EULER)
                        .setSeed(7L)
                        .setWidth(64)
                        .setHeight(64)
                        .build())
                .build();
    }

    public static TextEmbeddingResult textEmbeddingResult() {
        return TextEmbeddingResult.newBuilder()
                .setRequestId("req-1")
                .setJobId("job-7")
                .setModel("all-minilm-l6-v2-q")
                .setStatus(ResultStatus.OK)
                .setError(null)
                .setPayload(TextEmbeddingPayload.newBuilder()
                        .setDimensions(3)
                        .setEmbeddings(List.of(
                                new Embedding(List.of(0.6f, -0.8f, 0.0f), 5, false),
                                new Embedding(List.of(Float.MIN_VALUE, 1.0f, -0.0f), 512, true)))
                        .build())
                .setTimings(TIMINGS)
                .setWorkerId("worker-a")
                .build();
    }

    public static TextToTextResult textToTextResult() {
        return TextToTextResult.newBuilder()
                .setRequestId("req-2")
                .setJobId(null)
                .setModel("tiny-llm")
                .setStatus(ResultStatus.OK)
                .setError(null)
                .setPayload(TextToTextPayload.newBuilder()
                        .setText(" there was a worker")
                        .setPromptTokens(4)
                        .setGeneratedTokens(5)
                        .setFinishReason(FinishReason.STOP_STRING)
                        .setTruncated(false)
                        .build())
                .setTimings(TIMINGS)
                .setWorkerId("worker-b")
                .build();
    }

    public static ImageEmbeddingResult imageEmbeddingResult() {
        return ImageEmbeddingResult.newBuilder()
                .setRequestId("req-3")
                .setJobId("job-8")
                .setModel("clip-vit-b32")
                .setStatus(ResultStatus.ERROR)
                .setError(new ResultError(ErrorCode.CORRUPT_IMAGE, "image/png data does not decode", false))
                .setPayload(null)
                .setTimings(new Timings(0L, 0L, 4L))
                .setWorkerId("worker-a")
                .build();
    }

    public static VisionResult visionResult() {
        return VisionResult.newBuilder()
                .setRequestId("req-4")
                .setJobId(null)
                .setModel("pp-ocr-v4")
                .setStatus(ResultStatus.OK)
                .setError(null)
                .setPayload(VisionPayload.newBuilder()
                        .setLines(List.of(new TextLine(
                                "HELLO",
                                0.98f,
                                List.of(new Point(1, 2), new Point(40, 2), new Point(40, 12), new Point(1, 12)))))
                        .setFullText("HELLO")
                        .build())
                .setTimings(TIMINGS)
                .setWorkerId("worker-c")
                .build();
    }

    public static TextToImageResult textToImageResult() {
        return TextToImageResult.newBuilder()
                .setRequestId("req-5")
                .setJobId("job-9")
                .setModel("tiny-sd")
                .setStatus(ResultStatus.OK)
                .setError(null)
                .setPayload(TextToImagePayload.newBuilder()
                        .setImage(ByteBuffer.wrap(new byte[] {(byte) 0x89, 'P', 'N', 'G'}))
                        .setMediaType("image/png")
                        .setWidth(64)
                        .setHeight(64)
                        .setSeed(7L)
                        .build())
                .setTimings(TIMINGS)
                .setWorkerId("worker-d")
                .build();
    }

    public static DeadLetter deadLetter() {
        return DeadLetter.newBuilder()
                .setSourceTopic("modelpool.text-embedding.requests")
                .setSourcePartition(3)
                .setSourceOffset(1234L)
                .setSourceTimestamp(T0)
                .setOriginalKey(ByteBuffer.wrap("req-9".getBytes(StandardCharsets.UTF_8)))
                .setOriginalValue(ByteBuffer.wrap(new byte[] {1, 2, 3}))
                .setErrorClass("io.modelpool.schemas.serde.WrongMagicByteException")
                .setErrorMessage("unknown magic byte (topic 'modelpool.text-embedding.requests')")
                .setWorkerId("worker-a")
                .setDeadLetteredAt(T0.plusMillis(5))
                .build();
    }

    public static JobRegistration jobRegistration() {
        return JobRegistration.newBuilder()
                .setJobId("job-7")
                .setCapability(Capability.TEXT_EMBEDDING)
                .setModel("all-minilm-l6-v2-q")
                .setExpectedCount(1_000_000L)
                .setSubmitter("ana@laptop")
                .setSubmittedAt(T0)
                .build();
    }

    public static JobStatus jobStatus() {
        return JobStatus.newBuilder()
                .setJobId("job-7")
                .setCapability(Capability.TEXT_EMBEDDING)
                .setModel("all-minilm-l6-v2-q")
                .setExpectedCount(10L)
                .setSucceeded(7L)
                .setFailed(2L)
                .setFailuresByCode(Map.of("EXPIRED", 2L))
                .setFirstResultAt(T0)
                .setLastResultAt(T0.plusSeconds(2))
                .setResultsPerSecond(4.5)
                .setState(JobState.RUNNING)
                .setUpdatedAt(T0.plusSeconds(3))
                .build();
    }

    private static ImageInput image() {
        return new ImageInput(ByteBuffer.wrap(new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10}), "image/png");
    }
}
