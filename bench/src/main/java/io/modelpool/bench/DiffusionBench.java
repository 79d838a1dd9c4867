package io.modelpool.bench;

import io.modelpool.v1.Capability;
import io.modelpool.v1.DiffusionParameters;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.Scheduler;
import io.modelpool.v1.TextToImageRequest;
import io.modelpool.v1.TextToImageResult;
import io.modelpool.worker.capability.CapabilityRegistry;
import io.modelpool.worker.capability.CapabilityService;
import io.modelpool.worker.capability.Outcome;
import io.modelpool.worker.capability.PoolGroup;
import io.modelpool.worker.capability.RequestContext;
import io.modelpool.worker.manifest.ManifestLoader;
import io.modelpool.worker.pool.ModelState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Text-to-image throughput through the worker's model pool on a latent-diffusion export: images per second and
 * milliseconds per denoising step, for DDIM and Euler, with classifier-free guidance (a batch of two per UNet
 * run) and without.
 *
 * <p>The model is the diffusion trio that tools/pytorch_exports.py exports with diffusers' ONNX names
 * ({@code worker/src/test/resources/exported/diffusion}: a CLIP-style text encoder, a UNet with cross-attention,
 * a VAE decoder; 32 x 32 images from 8 x 8 latents). Method: {@code --warmup} unmeasured passes, then
 * {@code --passes} measured ones; a pass submits {@code --images} requests per setting at once (seeds 1 ...
 * images) and waits for all; images per second is images over the pass's wall time, ms per step the pass's wall
 * time over images times steps.
 */
@Command(
        name = "diffusion-bench",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "Text-to-image: images per second and ms per denoising step through the pool.")
public final class DiffusionBench implements Callable<Integer> {

    private static final RequestContext CONTEXT = new RequestContext("diffusion-bench", 0);
    private static final String MODEL = "diffusion";

    @Option(
            names = "--model-dir",
            defaultValue = "worker/src/test/resources/exported/diffusion",
            description =
                    "Directory with text_encoder/, unet/, vae_decoder/ model.onnx and tokenizer.json (default: ${DEFAULT-VALUE}).")
    Path modelDir;

    @Option(
            names = "--images",
            defaultValue = "8",
            description = "Images per setting and pass (default: ${DEFAULT-VALUE}).")
    int images;

    @Option(
            names = "--steps",
            defaultValue = "20",
            description = "Denoising steps per image (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--passes", defaultValue = "3", description = "Measured passes (default: ${DEFAULT-VALUE}).")
    int passes;

    @Option(
            names = "--warmup",
            defaultValue = "1",
            description = "Unmeasured passes first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(
            names = "--workers",
            defaultValue = "1",
            description = "Pool workers (sessions) (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(
            names = "--threads",
            defaultValue = "1",
            description = "Intra-op threads per session (default: ${DEFAULT-VALUE}).")
    int threads;

    public static void main(String[] args) {
        System.exit(new CommandLine(new DiffusionBench()).execute(args));
    }

    private record Setting(String name, Scheduler scheduler, float guidance) {}

    @Override
    public Integer call() throws Exception {
        if (images < 1 || steps < 1 || passes < 1 || warmup < 0 || workers < 1 || threads < 1) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this),
                    "need --images, --steps, --passes, --workers and --threads >= 1 and --warmup >= 0");
        }
        List<Setting> settings = List.of(
                new Setting("DDIM, guidance 7.5", Scheduler.DDIM, 7.5f),
                new Setting("DDIM, no guidance", Scheduler.DDIM, 1f),
                new Setting("Euler, guidance 7.5", Scheduler.EULER, 7.5f));
        String loadBefore = MachineInfo.currentLoadAverage();
        Path manifest = Files.createTempFile("diffusion-bench", ".yaml");
        Files.writeString(manifest, manifest());
        PoolGroup registry = CapabilityRegistry.fromManifest(ManifestLoader.load("file:" + manifest));
        try {
            if (registry.awaitLoaded(Duration.ofMinutes(2)).get(MODEL) != ModelState.READY) {
                throw new IllegalStateException("model did not load from " + modelDir);
            }
            CapabilityService service = registry.service(Capability.TEXT_TO_IMAGE);
            for (int w = 0; w < warmup; w++) {
                for (Setting s : settings) {
                    pass(service, s);
                }
            }
            double[][] seconds = new double[settings.size()][passes];
            for (int p = 0; p < passes; p++) {
                for (int i = 0; i < settings.size(); i++) {
                    seconds[i][p] = pass(service, settings.get(i));
                    System.err.printf(
                            Locale.ROOT,
                            "pass %d %-22s %.2f s%n",
                            p + 1,
                            settings.get(i).name(),
                            seconds[i][p]);
                }
            }
            MachineInfo machine = MachineInfo.current(loadBefore);
            StringBuilder out = new StringBuilder();
            out.append(String.format(
                    Locale.ROOT,
                    "Model: %s, 32 x 32 images; %d images per setting and pass, %d "
                            + "steps, workers %d, intra-op threads %d; %d passes after %d warm-up.%n",
                    modelDir,
                    images,
                    steps,
                    workers,
                    threads,
                    passes,
                    warmup));
            out.append(String.format(
                    Locale.ROOT,
                    "Machine: %d cores, %s, %s, ONNX Runtime %s, load before %s, " + "after %s.%n%n",
                    machine.cores(),
                    machine.cpuModel(),
                    machine.jvm(),
                    machine.onnxRuntime(),
                    machine.loadAverage(),
                    MachineInfo.currentLoadAverage()));
            out.append("| setting | images/s median | min | max | ms per step (median) |\n|---|---:|---:|---:|---:|\n");
            for (int i = 0; i < settings.size(); i++) {
                double[] rate = new double[passes];
                for (int p = 0; p < passes; p++) {
                    rate[p] = images / seconds[i][p];
                }
                out.append(String.format(
                        Locale.ROOT,
                        "| %s | %.2f | %.2f | %.2f | %.1f |%n",
                        settings.get(i).name(),
                        Stats.median(rate),
                        Stats.min(rate),
                        Stats.max(rate),
                        Stats.median(seconds[i]) * 1000 / (images * (double) steps)));
            }
            System.out.print(out);
            return 0;
        } finally {
            registry.close();
            Files.deleteIfExists(manifest);
        }
    }

    private double pass(CapabilityService service, Setting setting) throws Exception {
        List<CompletableFuture<Outcome>> futures = new ArrayList<>(images);
        long start = System.nanoTime();
        for (int i = 0; i < images; i++) {
            futures.add(service.handle(
                    TextToImageRequest.newBuilder()
                            .setId(UUID.randomUUID().toString())
                            .setModel(MODEL)
                            .setPrompt("a red house over the river")
                            .setParameters(DiffusionParameters.newBuilder()
                                    .setSteps(steps)
                                    .setGuidanceScale(setting.guidance())
                                    .setScheduler(setting.scheduler())
                                    .setSeed(i + 1L)
                                    .build())
                            .build(),
                    CONTEXT));
        }
        for (CompletableFuture<Outcome> f : futures) {
            TextToImageResult r =
                    (TextToImageResult) f.get(10, TimeUnit.MINUTES).record();
            if (r.getStatus() != ResultStatus.OK) {
                throw new IllegalStateException("a request failed: " + r.getError());
            }
        }
        return (System.nanoTime() - start) / 1e9;
    }

    private String manifest() {
        Path dir = modelDir.toAbsolutePath();
        return """
                limits:
                  max-inputs-per-request: 1
                  max-input-bytes: 4096
                models:
                  - key: %s
                    capability: text-to-image
                    family: latent-diffusion
                    source: file:%s/unet/model.onnx
                    tokenizer: file:%s/tokenizer.json
                    parameters:
                      text-encoder: file:%s/text_encoder/model.onnx
                      vae-decoder: file:%s/vae_decoder/model.onnx
                      pad-token: "<|endoftext|>"
                      text-sequence-length: 8
                      vae-scaling: 0.18215
                      vae-scale-factor: 4
                      default-width: 32
                      default-height: 32
                      max-pixels: 4096
                      max-steps: 1000
                    batch:
                      queue-capacity: %d
                    workers: %d
                    session:
                      intra-op-threads: %d
                      inter-op-threads: 1
                """.formatted(MODEL, dir, dir, dir, dir, Math.max(1, images), workers, threads);
    }
}
