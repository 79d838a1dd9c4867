package io.modelpool.schemas.testing;

import io.modelpool.devstack.SharedDevStack;
import io.modelpool.schemas.registry.RestSchemaRegistryClient;
import io.modelpool.schemas.registry.SchemaRegistryClient;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/** The devstack's real schema registry, shared by every test in the JVM; subjects are made unique per test. */
public final class DevRegistry {
    private DevRegistry() {}

    public static String url() {
        return SharedDevStack.get().schemaRegistryUrl();
    }

    public static String bootstrapServers() {
        return SharedDevStack.get().bootstrapServers();
    }

    /** {@code schema.registry.url} plus the given key-value pairs. */
    public static Map<String, Object> config(Object... keyValues) {
        Map<String, Object> config = new HashMap<>();
        config.put("schema.registry.url", url());
        for (int i = 0; i < keyValues.length; i += 2) {
            config.put((String) keyValues[i], keyValues[i + 1]);
        }
        return config;
    }

    /** A fresh client with its own caches. */
    public static SchemaRegistryClient client() {
        return RestSchemaRegistryClient.fromConfigs(config());
    }

    /** A topic name no other test uses, so its subjects start empty. */
    public static String uniqueTopic(String stem) {
        return stem + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
