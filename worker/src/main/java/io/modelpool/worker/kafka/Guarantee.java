package io.modelpool.worker.kafka;

import java.util.Locale;

/**
 * The processing guarantee ({@code processing.guarantee}), and the {@link Delivery} that keeps it. The intake asks
 * its guarantee for its delivery once, at construction; nothing else in this package branches on the guarantee.
 */
public enum Guarantee {
    /** Send, wait for the broker's acknowledgement, then commit: a crash may answer a request twice, never lose one. */
    AT_LEAST_ONCE {
        @Override
        Delivery delivery(Delivery.Parts p) {
            return new AtLeastOnceDelivery(
                    p.consumer(),
                    p.producer(),
                    p.tracker(),
                    p.listener(),
                    p.events(),
                    p.resend(),
                    p.settings().commitInterval());
        }
    },
    /** Outcomes and their offsets in one transaction, released in offset order: each request answered once. */
    EXACTLY_ONCE {
        @Override
        Delivery delivery(Delivery.Parts p) {
            return new ExactlyOnceDelivery(
                    p.consumer(),
                    new TransactionCycle(
                            p.producer(),
                            p.settings().transactionInterval(),
                            p.settings().transactionMaxRecords()),
                    p.tracker(),
                    p.listener(),
                    p.resend(),
                    p.closeBudget()::atShutdown);
        }
    };

    /** The delivery that keeps this guarantee. */
    abstract Delivery delivery(Delivery.Parts parts);

    /** The configuration's name of this guarantee ({@code at_least_once}, {@code exactly_once}). */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The guarantee a configuration names; an unknown name is refused with the names known. */
    public static Guarantee ofConfigName(String name) {
        for (Guarantee g : values()) {
            if (g.configName().equals(name)) {
                return g;
            }
        }
        throw new IllegalArgumentException(
                "unknown processing guarantee '" + name + "': expected at_least_once or exactly_once");
    }
}
