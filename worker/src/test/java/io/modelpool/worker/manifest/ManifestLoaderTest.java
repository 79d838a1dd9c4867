package io.modelpool.worker.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestLoaderTest {

    private static final String ONE_MODEL = """
            models:
              - key: mini
                capability: text-embedding
                family: encoder-embedding
                source: classpath:all-minilm-l6-v2-q.onnx
                tokenizer: classpath:all-minilm-l6-v2-q-tokenizer.json
            """;

    @Test
    void theShippedManifestServesTheThreeEmbeddingModelsBatchInvariantByDefault() {
        ModelManifest manifest = ManifestLoader.loadDefault();

        assertThat(manifest.models())
                .extracting(ModelDefinition::key)
                .containsExactly("all-minilm-l6-v2-q", "bge-small-en-v1.5-q", "e5-small-v2-q");
        assertThat(manifest.models()).allSatisfy(m -> {
            assertThat(m.capability()).isEqualTo("text-embedding");
            assertThat(m.family()).isEqualTo("encoder-embedding");
            assertThat(m.batchInvariant()).isTrue();
            assertThat(m.session().intraOpThreads()).isEqualTo(1);
        });
        assertThat(manifest.model("bge-small-en-v1.5-q").orElseThrow().parameters())
                .containsEntry("pooling", "cls");
        assertThat(manifest.model("e5-small-v2-q").orElseThrow().parameters())
                .containsEntry("query-prefix", "query: ")
                .containsEntry("passage-prefix", "passage: ");
    }

    @Test
    void omittedSettingsTakeTheirDocumentedDefaults() {
        ModelDefinition m = ManifestLoader.parse(ONE_MODEL, "test").models().get(0);

        assertThat(m.batchInvariant()).isTrue();
        assertThat(m.workers()).isEqualTo(2);
        assertThat(m.batch()).isEqualTo(new BatchSpec(8, 4096, "2ms", 1024, 256));
        assertThat(m.session()).isEqualTo(new SessionSpec(1, 1, "all", "sequential", false));
        assertThat(ManifestLoader.parse(ONE_MODEL, "test").limits()).isEqualTo(new RequestLimits(256, 65536));
    }

    @Test
    void aManifestLoadsFromAFilePathWithOrWithoutTheFilePrefix(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("models.yaml");
        Files.writeString(file, ONE_MODEL);

        assertThat(ManifestLoader.load("file:" + file).models()).hasSize(1);
        assertThat(ManifestLoader.load(file.toString()).models()).hasSize(1);
    }

    @Test
    void aMissingManifestIsReportedWithItsLocation() {
        assertThatThrownBy(() -> ManifestLoader.load("classpath:nowhere/models.yaml"))
                .isInstanceOf(ManifestException.class)
                .hasMessageContaining("classpath:nowhere/models.yaml");
    }

    @Test
    void aBadValueIsReportedWithTheModelKeyTheSettingTheValueAndWhatIsAllowed() {
        String yaml = ONE_MODEL + """
                    workers: 0
                    batch: {max-items: 4, sort-window: 2, max-delay: soon}
                    session: {optimization-level: turbo}
                """;

        assertThatThrownBy(() -> ManifestLoader.parse(yaml, "test.yaml"))
                .isInstanceOf(ManifestException.class)
                .hasMessageContaining("test.yaml")
                .hasMessageContaining("model 'mini': workers = 0 is invalid; allowed: >= 1")
                .hasMessageContaining("model 'mini': batch.sort-window = 2 is invalid; allowed: >= batch.max-items (4)")
                .hasMessageContaining("model 'mini': batch.max-delay = 'soon' is not a duration")
                .hasMessageContaining("model 'mini': session.optimization-level = 'turbo' is invalid;"
                        + " allowed: disabled|basic|extended|all");
    }

    @Test
    void anUnknownSettingIsNamed() {
        String yaml = ONE_MODEL + "    wokers: 2\n";

        assertThatThrownBy(() -> ManifestLoader.parse(yaml, "test"))
                .isInstanceOf(ManifestException.class)
                .hasMessageContaining("unknown setting 'wokers'");
    }

    @Test
    void duplicateKeysBadCapabilitiesAndMissingSourcesAreRejected() {
        String yaml = ONE_MODEL + """
                  - key: mini
                    capability: telepathy
                    family: encoder-embedding
                """;

        assertThatThrownBy(() -> ManifestLoader.parse(yaml, "test"))
                .isInstanceOf(ManifestException.class)
                .hasMessageContaining("model 'mini': key is listed twice")
                .hasMessageContaining("model 'mini': capability = 'telepathy' is invalid")
                .hasMessageContaining("model 'mini': source is missing");
    }

    @Test
    void aQueueTooSmallForTheLargestRequestIsRejected() {
        String yaml = "limits: {max-inputs-per-request: 64}\n" + ONE_MODEL + "    batch: {queue-capacity: 16}\n";

        assertThatThrownBy(() -> ManifestLoader.parse(yaml, "test"))
                .isInstanceOf(ManifestException.class)
                .hasMessageContaining("model 'mini': batch.queue-capacity = 16 is invalid");
    }

    @Test
    void durationsTakeAUnit() {
        assertThat(Durations.parse("2ms")).isEqualTo(Duration.ofMillis(2));
        assertThat(Durations.parse("500us")).isEqualTo(Duration.ofNanos(500_000));
        assertThat(Durations.parse("0s")).isEqualTo(Duration.ZERO);
        assertThatThrownBy(() -> Durations.parse("2")).hasMessageContaining("not a duration");
    }
}
