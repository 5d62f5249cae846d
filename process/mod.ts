/**
 * fjord's process module (being built).
 *
 * @module
 */

export {};
