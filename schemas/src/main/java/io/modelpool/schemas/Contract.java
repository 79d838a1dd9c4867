package io.modelpool.schemas;

import io.modelpool.schemas.internal.GeneratedClassTrust;
import io.modelpool.v1.Capability;
import io.modelpool.v1.DeadLetter;
import io.modelpool.v1.ImageEmbeddingRequest;
import io.modelpool.v1.ImageEmbeddingResult;
import io.modelpool.v1.JobRegistration;
import io.modelpool.v1.JobStatus;
import io.modelpool.v1.TextEmbeddingRequest;
import io.modelpool.v1.TextEmbeddingResult;
import io.modelpool.v1.TextToImageRequest;
import io.modelpool.v1.TextToImageResult;
import io.modelpool.v1.TextToTextRequest;
import io.modelpool.v1.TextToTextResult;
import io.modelpool.v1.VisionRequest;
import io.modelpool.v1.VisionResult;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * Which generated class travels on which topic. Every capability has one request class (on
 * {@link Topics#requests}) and one result class (on {@link Topics#results}); {@link DeadLetter},
 * {@link JobRegistration} and {@link JobStatus} travel on the shared topics.
 */
public final class Contract {

    /** The request and result class of one capability. */
    public record Pair(Class<? extends SpecificRecord> request, Class<? extends SpecificRecord> result) {}

    private static final Map<Capability, Pair> PAIRS = pairs();

    static {
        trustGeneratedClasses();
    }

    private Contract() {}

    /**
     * Tells Avro to trust the generated {@code io.modelpool.v1} classes of {@link #recordClasses()} and the
     * records and enums inside them. Avro 1.12.2 refuses to instantiate untrusted classes, which breaks
     * deserializing into them, copy builders ({@code newBuilder(other)}) and builders that leave an enum or
     * record field at its default. Every modelpool serde and this class's initialiser call it; a process that
     * builds contract records before touching either should call it first. Idempotent and thread-safe; other
     * classes stay as Avro's validator decides.
     */
    public static void trustGeneratedClasses() {
        recordClasses().forEach(GeneratedClassTrust::trust);
    }

    /** For example {@code requestClass(TEXT_EMBEDDING) == TextEmbeddingRequest.class}. */
    public static Class<? extends SpecificRecord> requestClass(Capability capability) {
        return pair(capability).request();
    }

    /** For example {@code resultClass(VISION) == VisionResult.class}. */
    public static Class<? extends SpecificRecord> resultClass(Capability capability) {
        return pair(capability).result();
    }

    /** The Avro schema of the capability's request record. */
    public static Schema requestSchema(Capability capability) {
        return schemaOf(requestClass(capability));
    }

    /** The Avro schema of the capability's result record. */
    public static Schema resultSchema(Capability capability) {
        return schemaOf(resultClass(capability));
    }

    /** The capability whose request or result class is {@code type}, if any. */
    public static Optional<Capability> capabilityOf(Class<?> type) {
        return PAIRS.entrySet().stream()
                .filter(e -> e.getValue().request().equals(type)
                        || e.getValue().result().equals(type))
                .map(Map.Entry::getKey)
                .findFirst();
    }

    /**
     * Every top-level record class of the contract: the five request classes, the five result classes, then
     * {@link DeadLetter}, {@link JobRegistration} and {@link JobStatus}. For registering all schemas up front.
     */
    public static List<Class<? extends SpecificRecord>> recordClasses() {
        List<Class<? extends SpecificRecord>> all = new ArrayList<>();
        PAIRS.values().forEach(pair -> all.add(pair.request()));
        PAIRS.values().forEach(pair -> all.add(pair.result()));
        all.add(DeadLetter.class);
        all.add(JobRegistration.class);
        all.add(JobStatus.class);
        return Collections.unmodifiableList(all);
    }

    /** The schema a generated class was generated from. */
    public static Schema schemaOf(Class<? extends SpecificRecord> type) {
        return SpecificData.getForClass(type).getSchema(type);
    }

    private static Pair pair(Capability capability) {
        return PAIRS.get(Objects.requireNonNull(capability, "capability"));
    }

    private static Map<Capability, Pair> pairs() {
        Map<Capability, Pair> pairs = new EnumMap<>(Capability.class);
        for (Capability capability : Capability.values()) {
            pairs.put(
                    capability,
                    switch (capability) {
                        case TEXT_EMBEDDING -> new Pair(TextEmbeddingRequest.class, TextEmbeddingResult.class);
                        case TEXT_TO_TEXT -> new Pair(TextToTextRequest.class, TextToTextResult.class);
                        case IMAGE_EMBEDDING -> new Pair(ImageEmbeddingRequest.class, ImageEmbeddingResult.class);
                        case VISION -> new Pair(VisionRequest.class, VisionResult.class);
                        case TEXT_TO_IMAGE -> new Pair(TextToImageRequest.class, TextToImageResult.class);
                    });
        }
        return Collections.unmodifiableMap(pairs);
    }
}
