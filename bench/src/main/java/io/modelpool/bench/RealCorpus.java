package io.modelpool.bench;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Builds two corpora of real English prose from the docstrings of the Python standard library installed on the
 * machine (PSF License), so a benchmark measures text that no one here wrote and nothing large is committed:
 * <ul>
 *   <li>short: sentences of {@value #SHORT_MIN} to {@value #SHORT_MAX} words;</li>
 *   <li>chunk: passages of {@value #CHUNK_MIN} to {@value #CHUNK_MAX} words, consecutive prose paragraphs of one
 *       module joined the way a document splitter would cut them.</li>
 * </ul>
 * Prose is told from code by shape: a paragraph is kept when it has no doctest prompt and at most a few
 * code-like characters per word. The same installation gives the same corpus (files are read in path order and
 * the shuffle is seeded).
 *
 * <p>Usage: {@code RealCorpus OUT_DIR [PYTHON_LIB_DIR]} writes {@code short.txt} and {@code chunk.txt}, one text
 * per line; every embedding bench reads such a file with {@code --corpus FILE}.
 */
public final class RealCorpus {

    static final int SHORT_MIN = 5;
    static final int SHORT_MAX = 120;
    static final int CHUNK_MIN = 150;
    static final int CHUNK_MAX = 400;

    private static final Pattern DOCSTRING = Pattern.compile("(?s)(?:\"\"\"|''')(.*?)(?:\"\"\"|''')");
    private static final Pattern SENTENCE_END = Pattern.compile("(?<=[a-z0-9)][.!?])\\s+(?=[A-Z])");
    private static final Pattern CODE_CHARS = Pattern.compile("[(){}\\[\\]=<>_*`#|\\\\@$%]");

    private RealCorpus() {}

    /** The texts of both corpora. */
    public record Built(List<String> shortTexts, List<String> chunks) {}

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: RealCorpus OUT_DIR [PYTHON_LIB_DIR]");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        Built built = build(args.length > 1 ? Path.of(args[1]) : defaultPythonLib());
        Files.createDirectories(out);
        Files.write(out.resolve("short.txt"), built.shortTexts(), StandardCharsets.UTF_8);
        Files.write(out.resolve("chunk.txt"), built.chunks(), StandardCharsets.UTF_8);
        System.out.printf(
                "wrote %d short texts and %d chunks to %s%n",
                built.shortTexts().size(), built.chunks().size(), out);
    }

    /** The newest {@code /usr/lib/python3.N} directory. */
    public static Path defaultPythonLib() throws IOException {
        try (Stream<Path> dirs = Files.list(Path.of("/usr/lib"))) {
            return dirs.filter(p -> p.getFileName().toString().matches("python3\\.\\d+"))
                    .filter(p -> Files.isRegularFile(p.resolve("os.py")))
                    .max((a, b) -> Integer.compare(minor(a), minor(b)))
                    .orElseThrow(() -> new IOException("no /usr/lib/python3.N with os.py; pass the directory"));
        }
    }

    private static int minor(Path p) {
        return Integer.parseInt(p.getFileName().toString().substring("python3.".length()));
    }

    /** Reads every module under {@code lib} (tests and site-packages skipped) and cuts both corpora. */
    public static Built build(Path lib) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(lib)) {
            files = walk.filter(p -> p.toString().endsWith(".py"))
                    .filter(p -> !p.toString().contains("/test")
                            && !p.toString().contains("site-packages")
                            && !p.toString().contains("dist-packages")
                            && !p.toString().contains("idlelib"))
                    .sorted()
                    .toList();
        }
        Set<String> sentences = new LinkedHashSet<>();
        Set<String> chunks = new LinkedHashSet<>();
        for (Path file : files) {
            String source;
            try {
                source = Files.readString(file, StandardCharsets.UTF_8);
            } catch (MalformedInputException e) {
                System.err.println("RealCorpus: skipping " + file + ", not UTF-8");
                continue;
            }
            List<String> paragraphs = new ArrayList<>();
            Matcher m = DOCSTRING.matcher(source);
            while (m.find()) {
                for (String paragraph : m.group(1).split("\\n\\s*\\n")) {
                    String prose = prose(paragraph);
                    if (prose != null) {
                        paragraphs.add(prose);
                        for (String s : SENTENCE_END.split(prose)) {
                            int words = words(s);
                            if (words >= SHORT_MIN && words <= SHORT_MAX && s.matches(".*[.!?]$")) {
                                sentences.add(s);
                            }
                        }
                    }
                }
            }
            cutChunks(paragraphs, chunks);
        }
        List<String> shortTexts = new ArrayList<>(sentences);
        List<String> chunkTexts = new ArrayList<>(chunks);
        Collections.shuffle(shortTexts, new Random(20_261_205L));
        Collections.shuffle(chunkTexts, new Random(20_261_205L));
        return new Built(List.copyOf(shortTexts), List.copyOf(chunkTexts));
    }

    /** Joins consecutive paragraphs of one module into passages of CHUNK_MIN to CHUNK_MAX words. */
    private static void cutChunks(List<String> paragraphs, Set<String> chunks) {
        StringBuilder current = new StringBuilder();
        int words = 0;
        for (String p : paragraphs) {
            int w = words(p);
            if (words + w > CHUNK_MAX) {
                if (words >= CHUNK_MIN) {
                    chunks.add(current.toString());
                }
                current.setLength(0);
                words = 0;
                if (w > CHUNK_MAX) {
                    continue;
                }
            }
            if (current.length() > 0) {
                current.append(' ');
            }
            current.append(p);
            words += w;
        }
        if (words >= CHUNK_MIN) {
            chunks.add(current.toString());
        }
    }

    /** The paragraph as one line of prose, or null when it looks like code, a table or a signature. */
    static String prose(String paragraph) {
        if (paragraph.contains(">>>") || paragraph.contains("::") || paragraph.contains("...")) {
            return null;
        }
        String text = paragraph.strip().replaceAll("\\s+", " ");
        int words = words(text);
        if (words < SHORT_MIN) {
            return null;
        }
        int code = 0;
        Matcher c = CODE_CHARS.matcher(text);
        while (c.find()) {
            code++;
        }
        int letters = 0;
        for (int i = 0; i < text.length(); i++) {
            if (Character.isLetter(text.charAt(i))) {
                letters++;
            }
        }
        boolean sentenceLike = Character.isUpperCase(text.charAt(0)) && text.matches(".*[.!?:]$");
        return sentenceLike && code * 10 <= words && letters * 10 >= text.length() * 7 ? text : null;
    }

    static int words(String s) {
        String t = s.strip();
        return t.isEmpty() ? 0 : t.split("\\s+").length;
    }
}
