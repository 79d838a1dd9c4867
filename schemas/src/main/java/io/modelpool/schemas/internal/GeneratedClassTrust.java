package io.modelpool.schemas.internal;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.ClassSecurityValidator;

/**
 * Lets Avro instantiate given generated classes, and nothing else.
 *
 * <p>Since 1.12.2 Avro refuses to load any class named by a schema unless it is trusted, through the
 * {@code org.apache.avro.SERIALIZABLE_CLASSES} / {@code SERIALIZABLE_PACKAGES} system properties or
 * {@link ClassSecurityValidator#setGlobal}. Without that, reading into a generated class, copying one
 * ({@code newBuilder(other)}) or building one that leaves an enum or record field at its default fails with a
 * {@link SecurityException}. Rather than ask every process for a JVM flag, modelpool trusts exactly the classes
 * of given generated records: each record and every record, enum and fixed its schema contains, taken from the
 * class's compiled-in schema, never from a schema that arrived with data. The validator that was installed
 * before stays in force for every other class.
 */
public final class GeneratedClassTrust {
    private static final Set<String> TRUSTED = ConcurrentHashMap.newKeySet();
    private static final Set<Class<?>> DONE = ConcurrentHashMap.newKeySet();
    private static boolean installed;

    private GeneratedClassTrust() {}

    /** Trusts {@code type} and the generated classes of every named type in its schema. Idempotent. */
    public static void trust(Class<? extends SpecificRecord> type) {
        if (DONE.contains(type)) {
            return;
        }
        Set<String> names = new HashSet<>();
        collect(SpecificData.getForClass(type).getSchema(type), names);
        synchronized (GeneratedClassTrust.class) {
            TRUSTED.addAll(names);
            if (!installed) {
                ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(
                        ClassSecurityValidator.getGlobal(), clazz -> TRUSTED.contains(clazz.getName())));
                installed = true;
            }
        }
        DONE.add(type);
    }

    private static void collect(Schema schema, Set<String> names) {
        switch (schema.getType()) {
            case RECORD:
                if (names.add(SpecificData.getClassName(schema))) {
                    schema.getFields().forEach(field -> collect(field.schema(), names));
                }
                break;
            case ENUM:
            case FIXED:
                names.add(SpecificData.getClassName(schema));
                break;
            case ARRAY:
                collect(schema.getElementType(), names);
                break;
            case MAP:
                collect(schema.getValueType(), names);
                break;
            case UNION:
                schema.getTypes().forEach(branch -> collect(branch, names));
                break;
            default:
                break;
        }
    }
}
