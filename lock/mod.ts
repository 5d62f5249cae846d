/**
 * fjord's lock module (being built).
 *
 * @module
 */

export {};
