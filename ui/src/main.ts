import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import CodeScreen from './components/CodeScreen.svelte';
import { reopenScreens, setLanguage } from './lib/api';
import { savedLocale, setLocale } from './lib/i18n';

// The language is chosen before the first screen is drawn (设置 › 界面语言); the rules' reasons
// follow it.
setLocale(savedLocale());
void setLanguage(savedLocale()).catch(() => {});

const target = document.getElementById('app');
if (!target) throw new Error('#app is missing from index.html');

// The 扫码屏 window loads the same page with #screen: it shows its code and nothing else. The
// desk's own window opens again the screens the desk runs (at the door before anyone signs in).
const screen = location.hash === '#screen';
if (!screen) void reopenScreens().catch(() => {});
export default screen ? mount(CodeScreen, { target }) : mount(App, { target });
