/**
 * fjord's config module (being built).
 *
 * @module
 */

export {};
