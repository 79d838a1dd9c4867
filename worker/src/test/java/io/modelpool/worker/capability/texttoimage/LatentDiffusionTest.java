package io.modelpool.worker.capability.texttoimage;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.v1.Capability;
import io.modelpool.v1.DiffusionParameters;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.Scheduler;
import io.modelpool.v1.TextToImageRequest;
import io.modelpool.v1.TextToImageResult;
import io.modelpool.worker.capability.AbandonedAtShutdownException;
import io.modelpool.worker.capability.CapabilityService;
import io.modelpool.worker.capability.Outcome;
import io.modelpool.worker.capability.PoolGroup;
import io.modelpool.worker.capability.RequestContext;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The latent-diffusion family on the toy model of tools/toy_latent_diffusion.py: every pixel equals what the
 * generator's independent numpy implementation of the same noise, schedulers, guidance and decoding computes.
 */
class LatentDiffusionTest {

    private static final RequestContext CONTEXT = new RequestContext("test-worker", 0);
    private static PoolGroup registry;
    private static CapabilityService service;

    @BeforeAll
    static void open() {
        registry = ToyDiffusion.registry();
        service = registry.service(Capability.TEXT_TO_IMAGE);
    }

    @AfterAll
    static void close() {
        registry.close();
    }

    private static TextToImageResult draw(TextToImageRequest request) throws Exception {
        return (TextToImageResult)
                service.handle(request, CONTEXT).get(30, TimeUnit.SECONDS).record();
    }

    @Test
    void ddimAndEulerWithAndWithoutGuidanceDrawExactlyTheReferencePixels() throws Exception {
        for (ToyDiffusion.Case c : ToyDiffusion.expected()) {
            TextToImageResult result = draw(c.request());

            assertThat(result.getStatus())
                    .as("%s: %s", c.name(), result.getError())
                    .isEqualTo(ResultStatus.OK);
            assertThat(result.getPayload().getMediaType()).isEqualTo("image/png");
            assertThat(result.getPayload().getWidth()).isEqualTo(c.width());
            assertThat(result.getPayload().getHeight()).isEqualTo(c.height());
            assertThat(result.getPayload().getSeed()).isEqualTo(c.seed());
            assertThat(ToyDiffusion.pixels(result.getPayload().getImage()))
                    .as(c.name())
                    .isDeepEqualTo(c.pixels());
        }
    }

    @Test
    void theSameSeedDrawsTheSameImageAndAnotherSeedAnotherOne() throws Exception {
        ToyDiffusion.Case c = ToyDiffusion.expected().get(0);
        TextToImageRequest again = c.request();
        TextToImageRequest otherSeed = c.request();
        otherSeed.getParameters().setSeed(c.seed() + 1);

        assertThat(ToyDiffusion.pixels(draw(again).getPayload().getImage())).isDeepEqualTo(c.pixels());
        assertThat(ToyDiffusion.pixels(draw(otherSeed).getPayload().getImage())).isNotEqualTo(c.pixels());
    }

    @Test
    void requestsOutsideTheModelsBoundsAreRefusedWithTheirCode() throws Exception {
        ToyDiffusion.Case c = ToyDiffusion.expected().get(0);
        TextToImageRequest tooManySteps = c.request();
        tooManySteps.getParameters().setSteps(100_001);
        TextToImageRequest tooLarge = c.request();
        tooLarge.getParameters().setWidth(128);
        tooLarge.getParameters().setHeight(128);
        TextToImageRequest oddSize = c.request();
        oddSize.getParameters().setWidth(7);
        TextToImageRequest ddimPastTraining = c.request();
        ddimPastTraining.getParameters().setSteps(1001);
        TextToImageRequest noPrompt = c.request();
        noPrompt.setPrompt("");

        assertThat(draw(tooManySteps).getError().getCode()).isEqualTo(ErrorCode.INPUT_TOO_LARGE);
        assertThat(draw(tooLarge).getError().getCode()).isEqualTo(ErrorCode.INPUT_TOO_LARGE);
        assertThat(draw(oddSize).getError().getCode()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(draw(ddimPastTraining).getError().getCode()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(draw(noPrompt).getError().getCode()).isEqualTo(ErrorCode.EMPTY_INPUT);
    }

    @Test
    void withoutASizeTheModelsDefaultSizeIsDrawnAndWithoutASeedTheSeedUsedIsReported() throws Exception {
        TextToImageRequest request = TextToImageRequest.newBuilder()
                .setId("defaults")
                .setModel(ToyDiffusion.MODEL)
                .setPrompt("green sea")
                .setParameters(DiffusionParameters.newBuilder()
                        .setSteps(4)
                        .setScheduler(Scheduler.DDIM)
                        .build())
                .build();
        TextToImageResult first = draw(request);
        TextToImageRequest replay = TextToImageRequest.newBuilder()
                .setId("replay")
                .setModel(ToyDiffusion.MODEL)
                .setPrompt("green sea")
                .setParameters(DiffusionParameters.newBuilder()
                        .setSteps(4)
                        .setScheduler(Scheduler.DDIM)
                        .setSeed(first.getPayload().getSeed())
                        .build())
                .build();

        assertThat(first.getPayload().getWidth()).isEqualTo(8);
        assertThat(first.getPayload().getHeight()).isEqualTo(8);
        assertThat(ToyDiffusion.pixels(draw(replay).getPayload().getImage()))
                .isDeepEqualTo(ToyDiffusion.pixels(first.getPayload().getImage()));
    }

    @Test
    void aShutdownCutsALongDenoisingAtTheGraceAndAbandonsItUnanswered() throws Exception {
        PoolGroup own = ToyDiffusion.registry();
        try {
            TextToImageRequest slow = TextToImageRequest.newBuilder()
                    .setId("slow")
                    .setModel(ToyDiffusion.MODEL)
                    .setPrompt("sky")
                    .setParameters(DiffusionParameters.newBuilder()
                            .setSteps(100_000)
                            .setScheduler(Scheduler.EULER)
                            .setWidth(64)
                            .setHeight(64)
                            .setSeed(1L)
                            .build())
                    .build();
            CompletableFuture<Outcome> running =
                    own.service(Capability.TEXT_TO_IMAGE).handle(slow, CONTEXT);
            long start = System.nanoTime();
            own.beginShutdown();

            assertThat(own.awaitDrained(Duration.ofSeconds(5))).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(900));
            assertThat(running)
                    .as("no SHUTTING_DOWN error answers it: the partition's next owner draws it whole")
                    .failsWithin(Duration.ofSeconds(5))
                    .withThrowableOfType(ExecutionException.class)
                    .withCauseInstanceOf(AbandonedAtShutdownException.class)
                    .withMessageContaining("cut at the shutdown grace");
        } finally {
            own.close();
        }
    }
}
