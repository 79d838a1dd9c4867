package io.modelpool.schemas;

import io.modelpool.v1.Capability;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Topic names of the modelpool contract. With the default prefix {@value #DEFAULT_PREFIX}:
 *
 * <pre>
 *   modelpool.text-embedding.requests     requests per capability (interactive work, and jobs of older clients)
 *   modelpool.text-embedding.requests.bulk  batch-job requests per capability, read after the interactive ones
 *   modelpool.text-embedding.results      results per capability
 *   modelpool.dead-letters                records the worker could not decode
 *   modelpool.jobs                        job registrations
 *   modelpool.jobs.status                 job progress (compacted)
 *   modelpool.jobs.control                job cancellations (compacted)
 * </pre>
 *
 * A capability's topic name is its enum name in lower case with dashes ({@code TEXT_TO_IMAGE ->
 * text-to-image}). A prefix is one or more of {@code [a-zA-Z0-9._-]}, as Kafka allows in topic names.
 */
public final class Topics {
    /** The prefix used unless configured otherwise. */
    public static final String DEFAULT_PREFIX = "modelpool";

    private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]+");
    /** Kafka's limit on topic names; the longest suffix ({@code .image-embedding.requests.bulk}) must still fit. */
    private static final int MAX_PREFIX_LENGTH = 249 - ".image-embedding.requests.bulk".length();
    /** What {@link #bulkRequests} appends to a request topic's name. */
    public static final String BULK_SUFFIX = ".bulk";

    private Topics() {}

    /** {@code <prefix>.<capability>.requests}. */
    public static String requests(String prefix, Capability capability) {
        return checked(prefix) + "." + name(capability) + ".requests";
    }

    /**
     * {@code <prefix>.<capability>.requests.bulk}: where batch jobs ({@code modelpool embed}, {@code submit}) produce
     * their requests. Workers read it too, and take its records only while interactive work on {@link #requests}
     * leaves room, so a job's backlog never sits in a partition ahead of an interactive request. Results of both go to
     * {@link #results}.
     */
    public static String bulkRequests(String prefix, Capability capability) {
        return requests(prefix, capability) + BULK_SUFFIX;
    }

    /** Whether {@code topic} is a bulk request topic ({@link #bulkRequests}). */
    public static boolean isBulkRequests(String topic) {
        return topic != null && topic.endsWith(".requests" + BULK_SUFFIX);
    }

    /** {@code <prefix>.<capability>.results}. */
    public static String results(String prefix, Capability capability) {
        return checked(prefix) + "." + name(capability) + ".results";
    }

    /** {@code <prefix>.dead-letters}. */
    public static String deadLetters(String prefix) {
        return checked(prefix) + ".dead-letters";
    }

    /** {@code <prefix>.jobs}. */
    public static String jobs(String prefix) {
        return checked(prefix) + ".jobs";
    }

    /** {@code <prefix>.jobs.status}. */
    public static String jobStatus(String prefix) {
        return checked(prefix) + ".jobs.status";
    }

    /** {@code <prefix>.jobs.control}: cancellations, read by every worker from the beginning. */
    public static String jobControl(String prefix) {
        return checked(prefix) + ".jobs.control";
    }

    /** The capability's name in topic names: {@code TEXT_EMBEDDING -> text-embedding}. */
    public static String name(Capability capability) {
        return Objects.requireNonNull(capability, "capability")
                .name()
                .toLowerCase(Locale.ROOT)
                .replace('_', '-');
    }

    /**
     * The capability with the dash-separated name {@code dashName} (case-insensitive; surrounding blanks
     * ignored).
     *
     * @throws IllegalArgumentException naming the value and the five accepted names
     */
    public static Capability parse(String dashName) {
        if (dashName != null) {
            String wanted = dashName.strip().toLowerCase(Locale.ROOT);
            for (Capability capability : Capability.values()) {
                if (name(capability).equals(wanted)) {
                    return capability;
                }
            }
        }
        throw new IllegalArgumentException("unknown capability '" + dashName + "'; expected one of "
                + "text-embedding, text-to-text, image-embedding, vision, text-to-image");
    }

    private static String checked(String prefix) {
        if (prefix == null
                || !LEGAL.matcher(prefix).matches()
                || prefix.length() > MAX_PREFIX_LENGTH
                || prefix.equals(".")
                || prefix.equals("..")) {
            throw new IllegalArgumentException("invalid topic prefix '" + prefix + "': use 1 to " + MAX_PREFIX_LENGTH
                    + " characters from [a-zA-Z0-9._-]");
        }
        return prefix;
    }
}
