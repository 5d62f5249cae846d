/**
 * fjord's futures module (being built).
 *
 * @module
 */

export {};
