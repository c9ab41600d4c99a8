import { StudioLoader } from '../components/StudioLoader';
export default function Page() { return <StudioLoader />; }
