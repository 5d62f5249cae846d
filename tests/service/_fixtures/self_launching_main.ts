// Imports a module that launches itself at its top level.
import "./self_launching_lib.ts";
