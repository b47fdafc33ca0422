import { InitialSchema1732262400000 } from './1732262400000-initial-schema';
import { RowLevelSecurity1732348800000 } from './1732348800000-row-level-security';
import { DataKeys1732435200000 } from './1732435200000-data-keys';
import { Retention1764892800000 } from './1764892800000-retention';

/** Every storage migration, oldest first (classes, not globs: works from src and dist alike). */
export const storageMigrations = [InitialSchema1732262400000, RowLevelSecurity1732348800000, DataKeys1732435200000, Retention1764892800000];
