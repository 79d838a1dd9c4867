package io.modelpool.worker.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import org.apache.kafka.common.config.ConfigDef;

/**
 * Renders {@link WorkerConfig#DEFINITION} as the Markdown reference in docs/configuration.md. A test fails when the
 * committed file differs from what this renders, so the reference never drifts from the code.
 *
 * <p>Run {@code java -cp worker/target/modelpool-worker.jar io.modelpool.worker.config.ConfigDocs docs/configuration.md}
 * to regenerate it.
 */
public final class ConfigDocs {

    private ConfigDocs() {}

    public static String render() {
        StringBuilder md = new StringBuilder();
        md.append("# Worker configuration reference\n\n")
                .append(
                        "<!-- Generated from io.modelpool.worker.config.WorkerConfig by ConfigDocs; do not edit by hand. -->\n\n")
                .append(
                        "Settings come from, lowest precedence first: the file given to `modelpool-worker run --config FILE` ")
                .append(
                        "(YAML, nested or flat, or `.properties`), environment variables (`MODELPOOL_` plus the key in upper case ")
                .append(
                        "with `.` and `-` as `_`), and `--set key=value` flags. An unknown key or an invalid value stops start-up ")
                .append("with one line naming the key, the value and what is allowed (exit code 2).\n\n")
                .append(
                        "Pass-through prefixes: `kafka.` (any Kafka client setting, both clients), `kafka.consumer.` and ")
                .append("`kafka.producer.` (one client only), `schema.registry.` (registry client and serde settings, ")
                .append("for example `schema.registry.basic.auth.user.info`). Values of keys that look secret ")
                .append("(password, secret, jaas, user.info, token, key) are never logged.\n\n")
                .append("| Key | Type | Default | Valid values | Importance | Environment | Description |\n")
                .append("|---|---|---|---|---|---|---|\n");
        List<ConfigDef.ConfigKey> keys = WorkerConfig.DEFINITION.configKeys().values().stream()
                .sorted(Comparator.comparing((ConfigDef.ConfigKey k) -> k.importance)
                        .thenComparing(k -> k.name))
                .toList();
        for (ConfigDef.ConfigKey k : keys) {
            md.append("| `")
                    .append(k.name)
                    .append("` | ")
                    .append(k.type.name().toLowerCase(java.util.Locale.ROOT))
                    .append(" | ")
                    .append(
                            k.hasDefault()
                                    ? "`" + ConfigDef.convertToString(k.defaultValue, k.type) + "`"
                                    : "(required)")
                    .append(" | ")
                    .append(k.validator == null ? "" : escape(k.validator.toString()))
                    .append(" | ")
                    .append(k.importance.name().toLowerCase(java.util.Locale.ROOT))
                    .append(" | `")
                    .append(ConfigSources.environmentName(k.name))
                    .append("` | ")
                    .append(escape(k.documentation))
                    .append(" |\n");
        }
        return md.toString();
    }

    private static String escape(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "docs/configuration.md");
        Files.writeString(out, render());
    }
}
