/**
 * Stand-ins for the plugin classes whose jars Maven Central does not serve here
 * (plugin-script-shell, plugin-aws, plugin-gcp, plugin-azure; see kestra-check/README.md).
 *
 * <p>Each class registers under the real plugin's type name through {@code @Plugin(aliases = ...)}
 * and declares the same YAML properties, with the same Java types, as the upstream class at the
 * version named in its comment (properties read from the upstream sources, nothing copied).
 * Everything they extend (Task, AbstractExecScript, AbstractTrigger, Property) is Kestra's own
 * code, so Kestra's parser still rejects unknown properties, wrong shapes and the common
 * task/trigger properties exactly as a server does. They cannot catch a property that the
 * upstream plugin added or removed after the version named.
 */
package io.github.kestrarotation.kestracheck.standin;
