/** The jblock-io shell and the jblock-img tool. */
package org.jblock.shell;
