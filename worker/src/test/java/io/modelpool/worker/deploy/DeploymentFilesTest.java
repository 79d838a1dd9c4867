package io.modelpool.worker.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.modelpool.schemas.Topics;
import io.modelpool.v1.Capability;
import io.modelpool.worker.config.ConfigSources;
import io.modelpool.worker.config.WorkerConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks docker-compose.yml, the Dockerfile and the Prometheus scrape config without a Docker engine: they parse,
 * and their references (services, ports, files, worker settings) point at things that exist, so a typo is caught
 * in CI rather than at {@code docker compose up}.
 */
class DeploymentFilesTest {

    private static final Path ROOT = Path.of("..");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static JsonNode compose;
    private static JsonNode services;

    @BeforeAll
    static void parse() throws IOException {
        compose = YAML.readTree(ROOT.resolve("docker-compose.yml").toFile());
        services = compose.path("services");
    }

    private static Set<String> serviceNames() {
        Set<String> names = new HashSet<>();
        services.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static Map<String, String> environment(String service) {
        return YAML.convertValue(
                services.path(service).path("environment"),
                YAML.getTypeFactory().constructMapType(Map.class, String.class, String.class));
    }

    @Test
    void theStackHasEveryServiceTheFleetNeeds() {
        assertThat(serviceNames()).contains("kafka", "topics", "schema-registry", "worker", "prometheus", "grafana");
    }

    @Test
    void everyImageIsPinnedToAVersion() {
        for (String name : serviceNames()) {
            JsonNode image = services.path(name).path("image");
            if (image.isMissingNode()) {
                assertThat(services.path(name).has("build"))
                        .as("%s has an image or a build", name)
                        .isTrue();
                continue;
            }
            assertThat(image.asText())
                    .as("image of %s", name)
                    .matches("[^:]+:v?[0-9][^:]*")
                    .doesNotEndWith(":latest");
        }
    }

    @Test
    void dependenciesNameExistingServicesWithValidConditions() {
        for (String name : serviceNames()) {
            JsonNode deps = services.path(name).path("depends_on");
            Iterator<String> it =
                    deps.isArray() ? YAML.convertValue(deps, List.class).iterator() : deps.fieldNames();
            while (it.hasNext()) {
                String dep = it.next();
                assertThat(serviceNames()).as("%s depends on %s", name, dep).contains(dep);
                if (deps.isObject()) {
                    assertThat(deps.path(dep).path("condition").asText())
                            .isIn("service_started", "service_healthy", "service_completed_successfully");
                    if (deps.path(dep).path("condition").asText().equals("service_healthy")) {
                        assertThat(services.path(dep).has("healthcheck"))
                                .as("%s has a health check", dep)
                                .isTrue();
                    }
                }
            }
        }
    }

    @Test
    void theWorkerReachesKafkaAndTheRegistryOnListenersTheyDeclare() {
        Map<String, String> env = environment("worker");
        String bootstrap = env.get(ConfigSources.environmentName(WorkerConfig.BOOTSTRAP_SERVERS));
        String[] hostPort = bootstrap.split(":");
        assertThat(serviceNames()).contains(hostPort[0]);
        assertThat(environment(hostPort[0]).get("KAFKA_LISTENERS")).contains(":" + hostPort[1]);
        assertThat(environment(hostPort[0]).get("KAFKA_ADVERTISED_LISTENERS")).contains(bootstrap);

        URI registry = URI.create(env.get(ConfigSources.environmentName(WorkerConfig.SCHEMA_REGISTRY_URL)));
        assertThat(serviceNames()).contains(registry.getHost());
        assertThat(environment(registry.getHost()).get("SCHEMA_REGISTRY_LISTENERS"))
                .endsWith(":" + registry.getPort());
    }

    @Test
    void everyWorkerSettingInTheEnvironmentIsADeclaredKey() {
        Set<String> declared = new HashSet<>();
        WorkerConfig.DEFINITION.names().forEach(k -> declared.add(ConfigSources.environmentName(k)));
        for (String variable : environment("worker").keySet()) {
            if (variable.startsWith("MODELPOOL_") && !variable.equals("MODELPOOL_LOG_FORMAT")) {
                assertThat(declared).as("%s names a worker setting", variable).contains(variable);
            }
        }
    }

    @Test
    void theWorkerScalesAndGetsAGracePeriodAboveDrainPlusClose() {
        JsonNode worker = services.path("worker");
        assertThat(worker.has("container_name"))
                .as("a fixed container name prevents --scale")
                .isFalse();
        assertThat(worker.has("ports")).as("host ports prevent --scale").isFalse();
        Map<String, String> env = environment("worker");
        long drainMs = Long.parseLong(env.get(ConfigSources.environmentName(WorkerConfig.DRAIN_TIMEOUT_MS)));
        long closeMs = Long.parseLong(env.get(ConfigSources.environmentName(WorkerConfig.CLOSE_TIMEOUT_MS)));
        Matcher grace = Pattern.compile("(\\d+)s")
                .matcher(worker.path("stop_grace_period").asText());
        assertThat(grace.matches()).as("stop_grace_period in seconds").isTrue();
        assertThat(Long.parseLong(grace.group(1)) * 1000).isGreaterThan(drainMs + closeMs);
    }

    @Test
    void theTopicsServiceCreatesEveryTopicTheWorkerUses() {
        String script = services.path("topics").path("command").get(0).asText();
        for (Capability c : Capability.values()) {
            String name = Topics.name(c);
            assertThat(script).contains(name);
            assertThat(Topics.requests("modelpool", c)).isEqualTo("modelpool." + name + ".requests");
            assertThat(Topics.bulkRequests("modelpool", c)).isEqualTo("modelpool." + name + ".requests.bulk");
        }
        assertThat(script).contains("create --topic modelpool.$$c.requests.bulk ");
        assertThat(script)
                .contains(
                        "modelpool.dead-letters", "modelpool.jobs ", "modelpool.jobs.status", "modelpool.jobs.control");
    }

    @Test
    void mountedFilesExist() {
        for (String name : serviceNames()) {
            for (JsonNode volume : services.path(name).path("volumes")) {
                String host = volume.asText().split(":")[0];
                if (host.startsWith("./")) {
                    assertThat(ROOT.resolve(host)).as("volume of %s", name).exists();
                }
            }
        }
    }

    @Test
    void prometheusScrapesTheWorkerServiceOnItsMetricsPort() throws IOException {
        JsonNode prometheus =
                YAML.readTree(ROOT.resolve("deploy/prometheus/prometheus.yml").toFile());
        JsonNode sd =
                prometheus.path("scrape_configs").get(0).path("dns_sd_configs").get(0);
        assertThat(sd.path("names").get(0).asText()).isEqualTo("worker");
        assertThat(sd.path("port").asText())
                .isEqualTo(environment("worker").get(ConfigSources.environmentName("http.port")));
    }

    @Test
    void theImageBuildsInStagesAndRunsTheJvmAsANonRootPidOne() throws IOException {
        String dockerfile = Files.readString(ROOT.resolve("Dockerfile"));
        assertThat(Pattern.compile("(?m)^FROM ").matcher(dockerfile).results().count())
                .isGreaterThanOrEqualTo(2);
        assertThat(dockerfile).containsPattern("(?m)^USER (?!root|0\\b)\\S+");
        assertThat(dockerfile).containsPattern("(?m)^ENTRYPOINT \\[\"java\"");
        assertThat(dockerfile).contains("MaxRAMPercentage");
        Matcher copies = Pattern.compile("(?m)^COPY (?!--from)(\\S+) ").matcher(dockerfile);
        while (copies.find()) {
            assertThat(ROOT.resolve(copies.group(1))).as("COPY source").exists();
        }
    }

    private static JsonNode kubernetes(String file) throws IOException {
        return YAML.readTree(ROOT.resolve("deploy/kubernetes").resolve(file).toFile());
    }

    /** The StatefulSet's pod settings as the worker reads them: the ConfigMap's file plus the pod's environment. */
    private static WorkerConfig podConfig(String podName, Path dir) throws IOException {
        Path file = dir.resolve("worker.yaml");
        Files.writeString(
                file,
                kubernetes("worker-configmap.yaml")
                        .path("data")
                        .path("worker.yaml")
                        .asText());
        JsonNode container = kubernetes("worker-statefulset.yaml")
                .path("spec")
                .path("template")
                .path("spec")
                .path("containers")
                .get(0);
        Map<String, String> env = new java.util.HashMap<>();
        for (JsonNode e : container.path("env")) {
            if (e.has("value")) {
                env.put(e.path("name").asText(), e.path("value").asText());
            } else {
                assertThat(e.path("valueFrom")
                                .path("fieldRef")
                                .path("fieldPath")
                                .asText())
                        .as("%s comes from the pod", e.path("name").asText())
                        .isEqualTo("metadata.name");
                env.put(e.path("name").asText(), podName);
            }
        }
        env.remove("MODELPOOL_LOG_FORMAT");
        return WorkerConfig.of(ConfigSources.merge(file, env, Map.of()));
    }

    @Test
    void everyKubernetesManifestNamesTheFleetAndSelectsItsPods() throws IOException {
        Map<String, String> kinds = Map.of(
                "worker-configmap.yaml",
                "ConfigMap",
                "worker-service.yaml",
                "Service",
                "worker-statefulset.yaml",
                "StatefulSet",
                "worker-pdb.yaml",
                "PodDisruptionBudget",
                "keda-scaledobject.yaml",
                "ScaledObject");
        for (Map.Entry<String, String> e : kinds.entrySet()) {
            JsonNode m = kubernetes(e.getKey());
            assertThat(m.path("kind").asText()).as(e.getKey()).isEqualTo(e.getValue());
            assertThat(m.path("metadata").path("name").asText()).as(e.getKey()).isEqualTo("modelpool-worker");
        }
        JsonNode set = kubernetes("worker-statefulset.yaml").path("spec");
        String app = set.path("template")
                .path("metadata")
                .path("labels")
                .path("app.kubernetes.io/name")
                .asText();
        assertThat(set.path("selector")
                        .path("matchLabels")
                        .path("app.kubernetes.io/name")
                        .asText())
                .isEqualTo(app);
        assertThat(kubernetes("worker-pdb.yaml")
                        .path("spec")
                        .path("selector")
                        .path("matchLabels")
                        .path("app.kubernetes.io/name")
                        .asText())
                .isEqualTo(app);
        assertThat(kubernetes("worker-pdb.yaml")
                        .path("spec")
                        .path("maxUnavailable")
                        .asInt())
                .isEqualTo(1);
        assertThat(kubernetes("worker-service.yaml")
                        .path("spec")
                        .path("selector")
                        .path("app.kubernetes.io/name")
                        .asText())
                .isEqualTo(app);
        assertThat(set.path("serviceName").asText()).isEqualTo("modelpool-worker");
        JsonNode target = kubernetes("keda-scaledobject.yaml").path("spec").path("scaleTargetRef");
        assertThat(target.path("kind").asText()).isEqualTo("StatefulSet");
        assertThat(target.path("name").asText()).isEqualTo("modelpool-worker");
        JsonNode volume = set.path("template").path("spec").path("volumes").get(0);
        assertThat(volume.path("configMap").path("name").asText()).isEqualTo("modelpool-worker");
    }

    @Test
    void eachPodTakesAStableGroupInstanceAndTransactionalIdFromItsName(@org.junit.jupiter.api.io.TempDir Path dir)
            throws IOException {
        WorkerConfig pod0 = podConfig("modelpool-worker-0", dir);

        assertThat(pod0.groupInstanceId()).contains("modelpool-worker-0");
        assertThat(pod0.workerId()).isEqualTo("modelpool-worker-0");
        assertThat(pod0.transactionalIdStable()).isTrue();
        assertThat(pod0.transactionalId(pod0.workerId())).isEqualTo(pod0.groupId() + "-modelpool-worker-0");
        assertThat(podConfig("modelpool-worker-1", dir).transactionalId("any"))
                .isEqualTo(pod0.groupId() + "-modelpool-worker-1");
    }

    @Test
    void probesAskTheHealthEndpointsOnTheMetricsPortTheWorkerServes(@org.junit.jupiter.api.io.TempDir Path dir)
            throws IOException {
        WorkerConfig config = podConfig("modelpool-worker-0", dir);
        JsonNode container = kubernetes("worker-statefulset.yaml")
                .path("spec")
                .path("template")
                .path("spec")
                .path("containers")
                .get(0);
        JsonNode port = container.path("ports").get(0);

        assertThat(port.path("name").asText()).isEqualTo("metrics");
        assertThat(port.path("containerPort").asInt()).isEqualTo(config.getInt(WorkerConfig.HTTP_PORT));
        assertThat(config.getString(WorkerConfig.HTTP_BIND_ADDRESS)).isEqualTo("0.0.0.0");
        assertThat(container.path("livenessProbe").path("httpGet").path("path").asText())
                .isEqualTo("/health/live");
        assertThat(container.path("readinessProbe").path("httpGet").path("path").asText())
                .isEqualTo("/health/ready");
        assertThat(container.path("startupProbe").path("httpGet").path("path").asText())
                .isEqualTo("/health/live");
        for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
            assertThat(container.path(probe).path("httpGet").path("port").asText())
                    .as(probe)
                    .isEqualTo("metrics");
        }
        assertThat(kubernetes("worker-service.yaml")
                        .path("spec")
                        .path("ports")
                        .get(0)
                        .path("targetPort")
                        .asText())
                .isEqualTo("metrics");
        assertThat(container.path("args").toString()).contains("--config", "/etc/modelpool/worker.yaml");
        assertThat(container.path("volumeMounts").get(0).path("mountPath").asText())
                .isEqualTo("/etc/modelpool");
    }

    @Test
    void theTerminationGracePeriodExceedsDrainPlusCloseAndTheWatchdogSecond(@org.junit.jupiter.api.io.TempDir Path dir)
            throws IOException {
        WorkerConfig config = podConfig("modelpool-worker-0", dir);
        WorkerConfig defaults = WorkerConfig.of(
                Map.of(WorkerConfig.BOOTSTRAP_SERVERS, "k:9092", WorkerConfig.SCHEMA_REGISTRY_URL, "http://r:8081"));
        long graceMs = kubernetes("worker-statefulset.yaml")
                        .path("spec")
                        .path("template")
                        .path("spec")
                        .path("terminationGracePeriodSeconds")
                        .asLong()
                * 1000;

        for (WorkerConfig c : List.of(config, defaults)) {
            assertThat(graceMs)
                    .isGreaterThan(c.drainTimeout()
                            .plus(c.closeTimeout())
                            .plusSeconds(1)
                            .toMillis());
        }
    }

    @Test
    void kedaScalesOnTheBacklogSecondsGaugeThroughPrometheusWithinThePartitionCount() throws IOException {
        JsonNode spec = kubernetes("keda-scaledobject.yaml").path("spec");
        JsonNode trigger = spec.path("triggers").get(0);
        String prometheusName = io.modelpool.worker.observe.MeterNames.BACKLOG_SECONDS.replace('.', '_');

        assertThat(prometheusName).isEqualTo("modelpool_backlog_seconds");
        assertThat(trigger.path("type").asText()).isEqualTo("prometheus");
        assertThat(trigger.path("metadata").path("query").asText()).contains(prometheusName);
        assertThat(Double.parseDouble(trigger.path("metadata").path("threshold").asText()))
                .isPositive();
        assertThat(spec.path("minReplicaCount").asInt()).isPositive();
        int partitions = Integer.parseInt(compose.path("x-topic-partitions").asText());
        assertThat(spec.path("maxReplicaCount").asInt())
                .as("replicas beyond the request topics' %d partitions would idle", partitions)
                .isLessThanOrEqualTo(partitions)
                .isGreaterThanOrEqualTo(spec.path("minReplicaCount").asInt());
    }
}
