package io.modelpool.worker.pool;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A runner for opaque string tasks: it records every batch it is given, upper-cases each input, throws for
 * any batch that holds the input "poison", and, while its gate is closed, blocks inside {@code run}.
 */
final class RecordingRunner implements BatchRunner<String, String> {

    static final String POISON = "poison";

    final List<List<String>> batches = new CopyOnWriteArrayList<>();
    final CountDownLatch gate;
    final CountDownLatch entered = new CountDownLatch(1);
    volatile boolean closed;

    RecordingRunner(CountDownLatch gate) {
        this.gate = gate;
    }

    static RecordingRunner open() {
        return new RecordingRunner(new CountDownLatch(0));
    }

    @Override
    public List<String> run(List<String> inputs) throws Exception {
        batches.add(List.copyOf(inputs));
        entered.countDown();
        if (!gate.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("gate never opened");
        }
        if (inputs.contains(POISON)) {
            throw new IllegalArgumentException("cannot run " + POISON);
        }
        List<String> out = new ArrayList<>(inputs.size());
        for (String s : inputs) {
            out.add(s.toUpperCase(java.util.Locale.ROOT));
        }
        return out;
    }

    @Override
    public void close() {
        closed = true;
    }
}
