// Test data shaped like what the Rust side sends.
import type { Catalog, CommandError, Venue } from '../lib/types';

export const catalog: Catalog = {
  kinds: [
    { value: 'general', label: '场所码' },
    { value: 'checkpoint', label: '专属场所码·交通卡口' },
    { value: 'destination', label: '专属场所码·目的地场所' },
  ],
  categories: [
    { value: 'institution', label: '机关企事业单位' },
    { value: 'mall', label: '商场超市' },
    { value: 'market', label: '农贸市场' },
    { value: 'hotel', label: '宾馆酒店' },
    { value: 'restaurant', label: '餐厅饭店' },
    { value: 'community', label: '居民社区(小区)' },
    { value: 'other', label: '其他人员易聚集场所' },
  ],
  districts: [
    { value: 'gulou', label: '鼓楼区' },
    { value: 'longting', label: '龙亭区' },
    { value: 'shunhe', label: '顺河回族区' },
    { value: 'xiangfu', label: '祥符区' },
    { value: 'lankao', label: '兰考县' },
  ],
};

let next = 1;

export function venue(overrides: Partial<Venue> = {}): Venue {
  const id = overrides.id ?? `v-${next++}`;
  return {
    id,
    kind: 'general',
    category: 'mall',
    name: '鼓楼区便民超市',
    district: 'gulou',
    address: '中山路中段18号',
    manager_name: '王建国',
    manager_phone: '13837800001',
    served: false,
    created_at: '2024-05-01T08:00:00Z',
    updated_at: '2024-05-01T08:00:00Z',
    ...overrides,
  };
}

export function commandError(overrides: Partial<CommandError>): CommandError {
  return { code: 'internal', message: '操作失败，请重试', fields: [], similar: [], ...overrides };
}

/** A promise and the functions that settle it, to look at the UI while a call is pending. */
export function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
