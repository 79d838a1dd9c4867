package io.modelpool.worker.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The pool core moves opaque tasks: it must not know about the contract, ONNX, tokenizers or Kafka. */
class PoolPackageImportsTest {

    private static final List<String> FORBIDDEN = List.of(
            "io.modelpool.v1", "ai.onnxruntime", "ai.djl", "org.apache.kafka", "org.apache.avro",
            "io.modelpool.worker.capability", "io.modelpool.worker.runtime", "io.modelpool.worker.manifest",
            "io.modelpool.worker.kafka");

    @Test
    void poolSourcesReferenceNoModelCapabilityOrKafkaPackage() throws IOException {
        Path dir = Path.of("src/main/java/io/modelpool/worker/pool");
        assertThat(dir).isDirectory();
        List<Path> sources;
        try (Stream<Path> files = Files.list(dir)) {
            sources = files.filter(p -> p.toString().endsWith(".java")).toList();
        }
        assertThat(sources).hasSizeGreaterThan(5);
        for (Path source : sources) {
            // comments may name what is forbidden (package-info does); code may not
            String text = Files.readString(source).replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\n]*", "");
            for (String forbidden : FORBIDDEN) {
                assertThat(text).as("%s mentions %s", source.getFileName(), forbidden).doesNotContain(forbidden);
            }
        }
    }
}
