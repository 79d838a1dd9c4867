/**
 * Helpers shared by the registry client and the serde. Not API: other modules must not import this package,
 * and it may change without notice.
 *
 * <p>Must not import: any other modelpool package.
 */
package io.modelpool.schemas.internal;
