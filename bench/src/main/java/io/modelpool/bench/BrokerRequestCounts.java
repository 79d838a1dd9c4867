package io.modelpool.bench;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.TreeMap;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * How many requests of each kind the in-process broker has handled: the broker's own
 * {@code kafka.network:type=RequestMetrics,name=RequestsPerSec,request=*} meters, read over JMX in this JVM. Only
 * meaningful where the broker runs in the same JVM (the devstack's ephemeral broker).
 */
final class BrokerRequestCounts {

    private BrokerRequestCounts() {}

    /** Requests handled so far, by request name ({@code Produce}, {@code Fetch}, ...); empty without a broker. */
    static Map<String, Long> snapshot() {
        Map<String, Long> out = new TreeMap<>();
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try {
            for (ObjectName name : server.queryNames(
                    new ObjectName("kafka.network:type=RequestMetrics,name=RequestsPerSec,*"), null)) {
                Object count = server.getAttribute(name, "Count");
                out.merge(name.getKeyProperty("request"), ((Number) count).longValue(), Long::sum);
            }
        } catch (JMException e) {
            throw new IllegalStateException("cannot read the broker's request meters", e);
        }
        return out;
    }

    /** Requests of {@code kind} handled between the two snapshots. */
    static long between(Map<String, Long> before, Map<String, Long> after, String kind) {
        return after.getOrDefault(kind, 0L) - before.getOrDefault(kind, 0L);
    }
}
