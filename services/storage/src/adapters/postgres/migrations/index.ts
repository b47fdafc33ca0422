import { InitialSchema1732262400000 } from './1732262400000-initial-schema';

/** Every storage migration, oldest first (classes, not globs: works from src and dist alike). */
export const storageMigrations = [InitialSchema1732262400000];
