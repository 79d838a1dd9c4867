/**
 * Helpers shared by the registry client and the serde. Not API: other modules must not import this package,
 * and it may change without notice.
 *
 * <p>Must not import: any other modelpool package (the generated {@code io.modelpool.v1} classes aside).
 */
package io.modelpool.schemas.internal;
