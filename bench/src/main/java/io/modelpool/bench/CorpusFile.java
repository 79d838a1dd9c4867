package io.modelpool.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** A user's corpus for a bench: one text per line, or JSON lines whose {@code text} field holds the text. */
final class CorpusFile {

    private static final ObjectMapper JSON = new ObjectMapper();

    private CorpusFile() {}

    /** Up to {@code limit} non-blank texts of {@code file}, in file order. */
    static List<String> read(Path file, int limit) throws IOException {
        List<String> texts = new ArrayList<>();
        int lineNumber = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNumber++;
            if (texts.size() >= limit) {
                break;
            }
            if (line.isBlank()) {
                continue;
            }
            if (line.stripLeading().startsWith("{")) {
                JsonNode text = JSON.readTree(line).get("text");
                if (text == null || !text.isTextual()) {
                    throw new IOException(file + ":" + lineNumber + ": a JSON line without a string \"text\" field");
                }
                texts.add(text.asText());
            } else {
                texts.add(line);
            }
        }
        if (texts.isEmpty()) {
            throw new IOException(file + " holds no text");
        }
        return List.copyOf(texts);
    }

    /** How many texts the tokenizer cuts: those whose encoding reaches {@code maxTokens}. */
    static int truncated(List<String> texts, HuggingFaceTokenizer tokenizer, int maxTokens) {
        int n = 0;
        for (String t : texts) {
            if (tokenizer.encode(t).getIds().length >= maxTokens) {
                n++;
            }
        }
        return n;
    }

    /** p10/p50/p90/p99/max of the texts' token counts (after the tokenizer's cut), and the mean. */
    static String percentiles(List<String> texts, HuggingFaceTokenizer tokenizer) {
        int[] tokens = texts.stream()
                .mapToInt(t -> tokenizer.encode(t).getIds().length)
                .sorted()
                .toArray();
        double mean = Arrays.stream(tokens).average().orElse(0);
        return String.format(
                Locale.ROOT,
                "p10 %d, p50 %d, p90 %d, p99 %d, max %d, mean %.1f",
                tokens[tokens.length / 10],
                tokens[tokens.length / 2],
                tokens[tokens.length * 9 / 10],
                tokens[Math.min(tokens.length - 1, tokens.length * 99 / 100)],
                tokens[tokens.length - 1],
                mean);
    }
}
